import { Inject, Injectable, Logger } from '@nestjs/common';
import type { InlineKeyboardMarkup } from 'telegraf/types';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TopicStatusService } from '../forum/topic-status.service';
import { UnitOfWork } from '../jobs/unit-of-work';
import type { MessageKey } from '../telegram/i18n/messages';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import type { Ticket } from '../tickets/ticket.entity';
import { AiStateRepository } from './repositories/ai-state.repository';
import { persist } from '../database/persist';

/** Callback data of the draft's buttons: `ai:send:42`, `ai:discard:42` (well under Telegram's 64 bytes). */
export const AI_ACTION = /^ai:(send|discard):(\d+)$/;

/**
 * The AI draft in a ticket's topic and the agents' decision on it: "Send to customer" or "Discard". The
 * decision is a conditional UPDATE, so two agents clicking at once get one send; the draft message then
 * shows what became of it, without its buttons. A sent draft is the team answering, as if the agent had
 * written it: the ticket is answered, and the answer is in its record (transcript, /stats, reminder).
 */
@Injectable()
export class AiDrafts {
  private readonly logger = new Logger('AiAnswers');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: AiStateRepository,
    private readonly uow: UnitOfWork,
    private readonly tickets: TicketRepository,
    private readonly messages: TicketMessageRepository,
    private readonly status: TopicStatusService,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  /** Posts the draft with its buttons in the ticket's topic; returns its message id. */
  async post(ticket: Ticket): Promise<number> {
    const sent = await this.gateway.sendMessage(
      ticket.groupId,
      this.text(ticket, 'ai.draft'),
      { message_thread_id: ticket.threadId!, reply_markup: this.buttons(ticket.id) },
      { lane: 'group' },
    );
    return sent.message_id;
  }

  /** "Send to customer" on a draft; returns the text for the agent's callback answer. */
  async send(ticketId: number, agent: string, draftMessageId: number | undefined): Promise<string> {
    const claimed = await this.state.claimSend(ticketId, 'drafted');
    if (!claimed) return this.notClaimed(ticketId, agent, draftMessageId);
    const ticket = { ...claimed, aiDraftMessageId: draftMessageId ?? claimed.aiDraftMessageId };
    let sentId: number;
    try {
      const sent = await this.gateway.sendMessage(
        ticket.customerId,
        this.i18n.t(ticket.language, 'ai.answer.fromSupport', { answer: ticket.aiAnswer ?? '' }),
        {},
        { lane: 'customer' },
      );
      sentId = sent.message_id;
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'blocked') {
        await this.state.settle(ticketId, 'sending', 'failed', agent);
        await this.showOutcome(ticket, 'ai.draft.unreachable', agent);
        return this.say('ai.callback.unreachable');
      }
      await this.state.unclaimSend(ticketId, 'drafted');
      this.logger.warn(`ticket #${ticketId}: the AI draft could not be sent (${(error as Error).message}); the agent may try again`);
      return this.say('ai.callback.failed');
    }
    const answer = { via: 'ai-draft' as const, chatId: ticket.customerId, messageId: sentId, text: ticket.aiAnswer ?? '', authorName: agent };
    await persist(
      () =>
        this.uow.run(async (tx) => {
          await this.state.recordSent(ticketId, sentId, agent, tx.db);
          await this.messages.recordSentAnswer(ticketId, answer, tx.db);
          // The agent spoke last: the ticket leaves /open and may close itself when the customer is silent.
          await this.tickets.markTeamAnswered(ticketId, tx.db);
        }),
      `ticket #${ticketId}: AI draft sent`,
      this.logger,
    );
    this.logger.log(`ticket #${ticketId}: AI draft sent to the customer by ${agent}`);
    await this.showOutcome(ticket, 'ai.draft.sent', agent);
    // The answer is recorded whatever becomes of the icon (it follows when the group has room).
    this.status.follow(ticketId);
    return this.say('ai.callback.sent');
  }

  /** "Discard" on a draft; returns the text for the agent's callback answer. */
  async discard(ticketId: number, agent: string, draftMessageId: number | undefined): Promise<string> {
    const discarded = await this.state.discard(ticketId, agent);
    if (!discarded) return this.notClaimed(ticketId, agent, draftMessageId);
    this.logger.log(`ticket #${ticketId}: AI draft discarded by ${agent}`);
    await this.showOutcome({ ...discarded, aiDraftMessageId: draftMessageId ?? discarded.aiDraftMessageId }, 'ai.draft.discarded', agent);
    return this.say('ai.callback.discarded');
  }

  /** The draft's text, or its head, or the mirror of an automatic answer, in the support team's language. */
  text(ticket: Ticket, key: 'ai.draft' | 'ai.draft.head' | 'ai.mirror'): string {
    return this.i18n.t(this.config.supportLanguage, key, {
      answer: ticket.aiAnswer ?? '',
      language: this.i18n.t(ticket.language, 'language.name'),
    });
  }

  private async notClaimed(ticketId: number, agent: string, draftMessageId: number | undefined): Promise<string> {
    const loaded = await this.state.load(ticketId);
    const ticket = loaded && { ...loaded, aiDraftMessageId: draftMessageId ?? loaded.aiDraftMessageId };
    switch (ticket?.aiAnswerState) {
      case 'sent':
        return this.say('ai.callback.alreadySent');
      case 'discarded':
        return this.say('ai.callback.alreadyDiscarded');
      case 'sending':
        return this.say('ai.callback.busy');
      case 'drafted': {
        // Still a draft, yet not sendable: an agent answered meanwhile, or the ticket closed.
        await this.state.settle(ticketId, 'drafted', 'skipped', agent);
        await this.showOutcome(ticket, 'ai.draft.obsolete', agent);
        return this.say('ai.callback.obsolete');
      }
      default:
        return this.say('ai.callback.obsolete');
    }
  }

  /** The draft shows what became of it, without its buttons. The decision stands even if this edit fails. */
  private async showOutcome(ticket: Ticket, key: MessageKey, agent: string): Promise<void> {
    if (!ticket.aiDraftMessageId) return;
    const text = `${this.text(ticket, 'ai.draft.head')}\n\n${this.i18n.t(this.config.supportLanguage, key, { agent })}`;
    await this.gateway
      .editMessageText(ticket.groupId, ticket.aiDraftMessageId, text, { reply_markup: { inline_keyboard: [] } }, { lane: 'group' })
      .catch((error: Error) => this.logger.warn(`ticket #${ticket.id}: could not update the AI draft message: ${error.message}`));
  }

  private buttons(ticketId: number): InlineKeyboardMarkup {
    const language = this.config.supportLanguage;
    return {
      inline_keyboard: [
        [
          { text: this.i18n.t(language, 'ai.button.send'), callback_data: `ai:send:${ticketId}` },
          { text: this.i18n.t(language, 'ai.button.discard'), callback_data: `ai:discard:${ticketId}` },
        ],
      ],
    };
  }

  private say(key: MessageKey): string {
    return this.i18n.t(this.config.supportLanguage, key);
  }
}
