import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { MessageEntity } from 'telegraf/types';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { persist } from '../../database/persist';
import { formatWaited } from '../../forum/desk-commands.service';
import { TopicStatusService } from '../../forum/topic-status.service';
import { JobQueue, TeamWork } from '../../jobs/job-queue';
import { UnitOfWork } from '../../jobs/unit-of-work';
import { FormattedText, joinFormatted } from '../../telegram/formatted-text';
import { escapeHtml } from '../../telegram/html';
import { I18n } from '../../telegram/i18n/i18n.service';
import type { MessageKey } from '../../telegram/i18n/messages';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { CustomerRepository } from '../../tickets/repositories/customer.repository';
import { TicketMessageRepository } from '../../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';
import type { Ticket } from '../../tickets/ticket.entity';
import { TicketCards } from '../../forum/ticket-cards.service';
import { ReadyAnswers, fillAnswer } from '../ready-answers';
import { TeamRepository } from '../repositories/team.repository';
import { TeamNotes } from '../team-notes.service';

/** A link to a topic of a private supergroup, for agents: https://t.me/c/<id without -100>/<thread>. */
export function topicLink(supportChatId: number, threadId: number): string {
  return `https://t.me/c/${String(supportChatId).replace(/^-100/, '')}/${threadId}`;
}

/**
 * `team.work`: everything the team tools show in the group (and the ready answers customers get), in
 * one queue: the card's assignee line, the assignee's mention when the customer writes again, the SLA
 * reminder in General, a ready answer and its marked copy, and short notes (bans).
 */
@Injectable()
export class TeamWorkJob implements OnModuleInit {
  private readonly logger = new Logger('TeamWork');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobQueue,
    private readonly uow: UnitOfWork,
    private readonly gateway: TelegramGateway,
    private readonly tickets: TicketRepository,
    private readonly customers: CustomerRepository,
    private readonly messages: TicketMessageRepository,
    private readonly team: TeamRepository,
    private readonly status: TopicStatusService,
    private readonly cards: TicketCards,
    private readonly answers: ReadyAnswers,
    private readonly notes: TeamNotes,
    private readonly i18n: I18n,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('team.work', (work) => this.run(work));
  }

  async run(work: TeamWork): Promise<void> {
    const ticket = await this.tickets.find(work.ticketId);
    if (!ticket) return;
    switch (work.kind) {
      case 'card':
        return this.editCard(ticket);
      case 'mention':
        if (!ticket.threadId || !ticket.assigneeId || !ticket.assigneeName || ticket.status !== 'open') return;
        return this.notes.postHtml(
          { groupId: ticket.groupId, threadId: ticket.threadId, ticketId: ticket.id },
          this.notes.text('team.mention', { agent: '\u0000' }).replace('\u0000', `<a href="tg://user?id=${ticket.assigneeId}">${escapeHtml(ticket.assigneeName)}</a>`),
        );
      case 'sla':
        return this.remind(ticket);
      case 'ready':
        return this.sendReady(ticket, work.name, work.agentName);
      case 'note':
        if (!ticket.threadId) return;
        return this.notes.post({ groupId: ticket.groupId, threadId: ticket.threadId, ticketId: ticket.id }, work.key as MessageKey, work.vars);
    }
  }

  /** The card with its assignee line; the customer's first message stays after it when the card carries it. */
  private async editCard(ticket: Ticket): Promise<void> {
    // Not posted yet: the card will be posted with the assignee line already in it.
    if (!ticket.cardMessageId) return;
    const card = await this.cards.of(ticket);
    const passenger = await this.team.cardPassenger(ticket.id, ticket.cardMessageId);
    const own: FormattedText = { text: passenger?.text ?? '', entities: (passenger?.entities ?? []) as MessageEntity[] };
    const whole = passenger ? joinFormatted(card, own) : card;
    const target = { chat_id: ticket.groupId, message_id: ticket.cardMessageId };
    const options = { lane: 'group' as const, key: ticket.id };
    try {
      if (passenger && passenger.kind !== 'text') await this.gateway.call('editMessageCaption', { ...target, caption: whole.text, caption_entities: whole.entities }, options);
      else await this.gateway.call('editMessageText', { ...target, text: whole.text, entities: whole.entities, link_preview_options: { is_disabled: true } }, options);
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'not-modified') return;
      if (error instanceof TelegramCallError && (error.kind === 'bad-request' || error.kind === 'thread-gone')) {
        this.logger.warn(`ticket #${ticket.id}: the card could not be updated: ${error.description}`);
        return;
      }
      throw error;
    }
  }

  private async remind(ticket: Ticket): Promise<void> {
    if (!ticket.threadId) {
      // No topic yet (the group is far behind): a reminder without a link would send agents nowhere.
      this.logger.warn(`ticket #${ticket.id}: first-response reminder without a topic`);
    }
    // Waited until the sweep that claimed the reminder (its clock is recorded on the ticket), not until
    // this job happens to run; to the minute, as /open says it (a window's whole hours would make 31 min "1 h").
    const remindedAt = ticket.slaRemindedAt ? new Date(ticket.slaRemindedAt).getTime() : Date.now();
    const waited = formatWaited(remindedAt - new Date(ticket.createdAt).getTime(), this.config.supportLanguage);
    const assignee = ticket.assigneeName ?? this.notes.text('team.slaNobody');
    await this.notes.post({ groupId: ticket.groupId, ticketId: ticket.id }, 'team.sla', {
      ticket: ticket.id,
      link: ticket.threadId ? topicLink(ticket.groupId, ticket.threadId) : 'https://t.me/',
      waited,
      assignee,
    });
  }

  /**
   * The answer goes to the customer in their language and into the ticket's record as the team's
   * answer (transcript, /stats, the reminder), then a marked copy to the topic (its own job), and the
   * topic's icon says the ticket is answered (TeamService marked it so).
   */
  private async sendReady(ticket: Ticket, name: string, agentName: string): Promise<void> {
    const answer = this.answers.find(name);
    if (!answer) return;
    const customer = await this.customers.find(ticket.customerId);
    const text = fillAnswer(answer.text[ticket.language], { name: customer?.firstName ?? '', ticket: ticket.id });
    let sentId: number;
    try {
      sentId = (await this.gateway.call('sendMessage', { chat_id: ticket.customerId, text }, { lane: 'customer' })).message_id;
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'blocked') {
        if (ticket.threadId) await this.notes.post({ groupId: ticket.groupId, threadId: ticket.threadId, ticketId: ticket.id }, 'topic.undelivered');
        return;
      }
      throw error;
    }
    // Sent: from here a failure must not retry this job, which would send the answer again. The record
    // and the topic's copy (a job of its own, retried by itself) are written in one transaction.
    const mirror = { name, agent: agentName, language: this.i18n.t(ticket.language, 'language.name'), answer: text };
    await persist(
      () =>
        this.uow.run(async (tx) => {
          await this.messages.recordSentAnswer(ticket.id, { via: 'ready', chatId: ticket.customerId, messageId: sentId, text, authorName: agentName }, tx.db);
          if (ticket.threadId) await tx.send('team.work', { kind: 'note', ticketId: ticket.id, key: 'ready.mirror', vars: mirror });
        }),
      `ticket #${ticket.id}: ready answer "${name}"`,
      this.logger,
    );
    if (!ticket.threadId) return;
    this.status.follow(ticket.id);
  }
}
