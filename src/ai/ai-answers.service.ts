import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AiAnswerMode, APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { UnitOfWork } from '../jobs/unit-of-work';
import { truncate } from '../telegram/html';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { CategoryCatalog } from '../tickets/category-catalog.service';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import type { Ticket } from '../tickets/ticket.entity';
import { AiClient, AiFailure } from './ai-client';
import { AiDrafts } from './ai-drafts.service';
import { KnowledgeBase } from './knowledge-base';
import { answerPrompt, ModelAnswer, parseAnswer } from './prompts';
import { AiStateRepository } from './repositories/ai-state.repository';
import { persist } from '../database/persist';

/** The longest answer passed on; Telegram's message limit is 4096 characters, the frame takes some. */
const ANSWER_MAX = 3000;
/** How many times the job looks again for a topic to post into before it gives up (about 3 minutes). */
const MAX_TOPIC_WAITS = 40;

/**
 * The AI's first answer, once per ticket (`ai.answer`, enqueued with the ticket). The model answers only
 * from the knowledge base and says whether that covers the question; an uncovered question is left to
 * the agents and nothing is sent. Then, by AI_ANSWER_MODE:
 * - `draft`: the answer is posted in the topic with "Send to customer" / "Discard"; an agent decides (AiDrafts).
 * - `auto`: it goes to the customer marked as automatic, and a copy is posted in the topic.
 * Never after an agent has answered (checked in the same UPDATE that claims the send), never twice: the
 * state on the ticket moves forward only by conditional UPDATEs. A send whose outcome a crash hid is not
 * repeated (at most once: an agent is there anyway).
 */
@Injectable()
export class AiAnswers implements OnModuleInit {
  private readonly logger = new Logger('AiAnswers');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: AiStateRepository,
    private readonly messages: TicketMessageRepository,
    private readonly uow: UnitOfWork,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly catalog: CategoryCatalog,
    private readonly client: AiClient,
    private readonly knowledge: KnowledgeBase,
    private readonly drafts: AiDrafts,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ai.answer', ({ ticketId, waits }) => this.run(ticketId, waits ?? 0));
  }

  get mode(): AiAnswerMode {
    return this.client.enabled ? this.config.aiAnswerMode : 'off';
  }

  /** The `ai.answer` job: each run moves the ticket's answer as far as it can go now. */
  async run(ticketId: number, waits: number): Promise<void> {
    let ticket = await this.state.load(ticketId);
    if (!ticket) return;
    if (ticket.aiAnswerState === null) {
      if (!(await this.compose(ticket))) return;
      ticket = (await this.state.load(ticketId))!;
    }
    if (ticket.aiAnswerState === 'ready' && this.mode === 'draft') return this.postDraft(ticket, waits);
    if (ticket.aiAnswerState === 'ready' && this.mode === 'auto') {
      await this.sendAutomatic(ticket);
      ticket = (await this.state.load(ticketId))!;
    }
    if (ticket.aiAnswerState === 'sent' && ticket.aiAnswerMessageId && !ticket.aiMirrorMessageId && !ticket.aiDraftMessageId) {
      await this.mirror(ticket, waits);
    }
  }

  /** Asks the model; true when there is an answer to deliver, false when the ticket's answer is settled otherwise. */
  private async compose(ticket: Ticket): Promise<boolean> {
    const settle = async (state: 'skipped' | 'uncovered' | 'failed', why: string, answer: string | null = null): Promise<false> => {
      await this.state.noAnswer(ticket.id, state, answer);
      this.logger.log(`ticket #${ticket.id}: no AI answer (${why})`);
      return false;
    };
    if (this.mode === 'off') return settle('skipped', 'AI answers are off');
    if (ticket.status !== 'open') return settle('skipped', 'the ticket is closed');
    if (await this.messages.agentAnswered(ticket.id)) return settle('skipped', 'an agent answered first');
    const question = await this.messages.customerText(ticket.id, 10);
    if (!question) return settle('skipped', 'no text to answer');
    const knowledge = this.knowledge.select(question);
    // Nothing in the knowledge base shares a word with the question: no model call can make it covered.
    if (!knowledge.length) return settle('uncovered', 'the knowledge base has nothing on it');
    let answer: ModelAnswer;
    try {
      const category = this.catalog.label(ticket.language, ticket.category, ticket.subcategory);
      const content = await this.client.complete(answerPrompt({ language: ticket.language, category, customerText: question, knowledge }), {
        purpose: 'answer',
        timeoutMs: this.config.openaiTimeoutMs,
        maxRetries: 1,
        totalMs: this.config.openaiTimeoutMs * 2 + 1000,
        json: true,
        maxTokens: 700,
      });
      const parsed = parseAnswer(content);
      if (!parsed) throw new AiFailure('invalid-output', 'the answer is not {"covered": boolean, "answer": string}');
      answer = parsed;
    } catch (error) {
      if (!(error instanceof AiFailure)) throw error;
      this.client.report(error, `ticket #${ticket.id}: AI answer`);
      return settle('failed', error.kind);
    }
    if (!answer.covered) return settle('uncovered', 'the model found the knowledge base does not cover it', answer.answer);
    await this.state.answerReady(ticket.id, truncate(answer.answer, ANSWER_MAX));
    return true;
  }

  private async postDraft(ticket: Ticket, waits: number): Promise<void> {
    if (!(await this.topicReady(ticket, waits))) return this.later(ticket, waits);
    if (ticket.status !== 'open' || (await this.messages.agentAnswered(ticket.id))) {
      await this.state.settle(ticket.id, 'ready', 'skipped', null);
      return;
    }
    if (!(await this.state.claimDraft(ticket.id))) return;
    let draftId: number;
    try {
      draftId = await this.drafts.post(ticket);
    } catch (error) {
      await this.state.unclaimDraft(ticket.id);
      throw error;
    }
    await persist(() => this.state.recordDraft(ticket.id, draftId), `ticket #${ticket.id}: AI draft`, this.logger);
    this.logger.log(`ticket #${ticket.id}: AI draft posted in topic ${ticket.threadId}`);
  }

  private async sendAutomatic(ticket: Ticket): Promise<void> {
    if (!(await this.state.claimSend(ticket.id, 'ready'))) {
      await this.state.settle(ticket.id, 'ready', 'skipped', null);
      this.logger.log(`ticket #${ticket.id}: no automatic answer (an agent answered first, or the ticket closed)`);
      return;
    }
    let sentId: number;
    try {
      const sent = await this.gateway.sendMessage(
        ticket.customerId,
        this.i18n.t(ticket.language, 'ai.answer.auto', { answer: ticket.aiAnswer ?? '' }),
        {},
        { lane: 'customer' },
      );
      sentId = sent.message_id;
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'blocked') {
        await this.state.settle(ticket.id, 'sending', 'failed', null);
        return;
      }
      await this.state.unclaimSend(ticket.id, 'ready');
      throw error;
    }
    // In the ticket's record (the transcript), as the bot's own answer: the ticket still waits for the team,
    // and the first answer and the reminder wait for an agent.
    const answer = { via: 'ai-auto' as const, chatId: ticket.customerId, messageId: sentId, text: ticket.aiAnswer ?? '', authorName: null };
    await persist(
      () =>
        this.uow.run(async (tx) => {
          await this.state.recordSent(ticket.id, sentId, null, tx.db);
          await this.messages.recordSentAnswer(ticket.id, answer, tx.db);
        }),
      `ticket #${ticket.id}: automatic answer`,
      this.logger,
    );
    this.logger.log(`ticket #${ticket.id}: automatic answer sent to the customer`);
  }

  /** Auto mode: the agents see in the topic what the customer was told. */
  private async mirror(ticket: Ticket, waits: number): Promise<void> {
    if (!(await this.topicReady(ticket, waits))) return this.later(ticket, waits);
    const sent = await this.gateway.sendMessage(
      ticket.groupId,
      this.drafts.text(ticket, 'ai.mirror'),
      { message_thread_id: ticket.threadId!, link_preview_options: { is_disabled: true } },
      { lane: 'group' },
    );
    await persist(() => this.state.recordMirror(ticket.id, sent.message_id), `ticket #${ticket.id}: AI mirror`, this.logger);
  }

  /**
   * The topic exists, with its card and the customer's first message, so the AI's post comes after them.
   * After a few rounds the topic alone is enough (a first message that cannot be copied must not block it).
   */
  private async topicReady(ticket: Ticket, waits: number): Promise<boolean> {
    if (!ticket.threadId) return false;
    if (waits >= 5) return true;
    return ticket.cardMessageId !== null && (await this.messages.firstCustomerMessageCopied(ticket.id));
  }

  /** Comes back later for the topic (a new job rather than a failed one: waiting is not an error). */
  private async later(ticket: Ticket, waits: number): Promise<void> {
    if (waits >= MAX_TOPIC_WAITS) {
      this.logger.warn(`ticket #${ticket.id}: no topic to post the AI answer in after ${waits} tries; giving up on it`);
      if (ticket.aiAnswerState === 'ready') await this.state.settle(ticket.id, 'ready', 'failed', null);
      return;
    }
    await this.jobs.send('ai.answer', { ticketId: ticket.id, waits: waits + 1 }, { startAfterSeconds: waits < 10 ? 1 : 5 });
  }
}
