import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TopicTitleSource } from '../forum/topic-title.port';
import { JobQueue } from '../jobs/job-queue';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { CategoryCatalog } from '../tickets/category-catalog.service';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TopicRepository } from '../tickets/repositories/topic.repository';
import type { Ticket } from '../tickets/ticket.entity';
import { AiClient, AiFailure } from './ai-client';
import { titlePrompt } from './prompts';
import { AiStateRepository } from './repositories/ai-state.repository';
import { sanitizeTitle } from './title-sanitizer';

/**
 * A title request never takes longer than this, whatever OPENAI_TIMEOUT_MS allows answers: past the
 * budget the topic exists with its provisional title anyway, and a rename minutes later helps nobody.
 */
export const TITLE_TIMEOUT_MS = 8000;
/** While a new topic waits for its AI title, how often it looks (a title stored by another instance has no in-process signal). */
const POLL_MS = 200;

/**
 * AI topic titles. The `ai.title` job, enqueued in the ticket's transaction, asks the model once (short
 * timeout, one retry), sanitises the answer, stores it on the ticket and renames the topic if it already
 * exists. The topic's creation (`ticket.sync`) waits for that title only within AI_TITLE_BUDGET_MS from the
 * ticket's creation, then goes ahead with the provisional title; whichever side comes second renames.
 */
@Injectable()
export class AiTitles extends TopicTitleSource implements OnModuleInit {
  private readonly logger = new Logger('AiTitles');
  /** Topic creations of this process waiting for a ticket's title: woken as soon as the job stores it. */
  private readonly waiters = new Map<number, Set<() => void>>();
  private readonly timeoutMs: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: AiStateRepository,
    private readonly topics: TopicRepository,
    private readonly messages: TicketMessageRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly catalog: CategoryCatalog,
    private readonly client: AiClient,
  ) {
    super();
    this.timeoutMs = Math.min(config.openaiTimeoutMs, TITLE_TIMEOUT_MS);
  }

  onModuleInit(): void {
    this.jobs.handle('ai.title', ({ ticketId }) => this.run(ticketId));
  }

  /** The `ai.title` job: idempotent; a retry after a failed rename does not ask the model again. */
  async run(ticketId: number): Promise<void> {
    const ticket = await this.state.load(ticketId);
    if (!ticket) return;
    if (ticket.aiTitleState === null) await this.generate(ticket);
    await this.renameIfNeeded(ticketId);
  }

  async forNewTopic(ticket: Ticket): Promise<string | null> {
    if (!this.client.enabled) return null;
    // Counted from the ticket's creation (the customer's wait), and never more than one budget from now.
    const now = Date.now();
    const deadline = Math.min(new Date(ticket.createdAt).getTime() + this.config.aiTitleBudgetMs, now + this.config.aiTitleBudgetMs);
    for (;;) {
      const current = await this.state.load(ticket.id);
      if (current?.aiTitle) return current.aiTitle;
      if (!current || current.aiTitleState === 'failed') return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await this.waitForTitle(ticket.id, Math.min(remaining, POLL_MS));
    }
  }

  async topicCreated(ticketId: number, name: string): Promise<void> {
    if (!this.client.enabled) return;
    try {
      const ticket = await this.state.load(ticketId);
      // The title was stored after the topic's name was chosen but before its thread was recorded, so the
      // title job did not see a topic to rename: the rename is its job, run again.
      if (ticket?.aiTitle && ticket.aiTitle !== name) await this.jobs.send('ai.title', { ticketId });
    } catch (error) {
      this.logger.warn(`ticket #${ticketId}: could not schedule the rename to the AI title: ${(error as Error).message}`);
    }
  }

  private async generate(ticket: Ticket): Promise<void> {
    const ticketId = ticket.id;
    const text = await this.messages.customerText(ticketId, 5);
    let title: string | null = null;
    if (text && this.client.enabled) {
      try {
        const category = this.catalog.label(ticket.language, ticket.category, ticket.subcategory);
        const content = await this.client.complete(titlePrompt({ language: ticket.language, category, customerText: text }), {
          purpose: 'title',
          timeoutMs: this.timeoutMs,
          maxRetries: 1,
          totalMs: this.timeoutMs,
          maxTokens: 40,
        });
        title = sanitizeTitle(content, ticketId);
        if (!title) throw new AiFailure('invalid-output', `nothing usable in ${JSON.stringify(content.slice(0, 60))}`);
      } catch (error) {
        if (!(error instanceof AiFailure)) throw error;
        this.client.report(error, `ticket #${ticketId}: AI title`);
      }
    }
    // "failed" also covers a ticket with no text (a photo alone): the provisional title is as good as it gets.
    await this.state.storeTitle(ticketId, title);
    // The title sums up the customer's words: debug only.
    if (title) this.logger.debug(`ticket #${ticketId}: AI title "${title}"`);
    for (const wake of this.waiters.get(ticketId) ?? []) wake();
  }

  /** Renames the ticket's topic to its AI title when the topic exists under another name (a low-priority group call). */
  private async renameIfNeeded(ticketId: number): Promise<void> {
    const ticket = await this.state.load(ticketId);
    if (!ticket?.threadId || !ticket.aiTitle || ticket.title === ticket.aiTitle || ticket.status !== 'open') return;
    try {
      await this.gateway.call(
        'editForumTopic',
        { chat_id: ticket.groupId, message_thread_id: ticket.threadId, name: ticket.aiTitle },
        { lane: 'group' },
      );
    } catch (error) {
      if (!(error instanceof TelegramCallError)) throw error;
      // Gone: the sync recreates the topic, and then with the AI title. Not modified: it already has it.
      if (error.kind === 'thread-gone') return;
      if (error.kind !== 'not-modified') throw error;
    }
    await this.topics.recordTitle(ticketId, ticket.threadId, ticket.aiTitle);
    this.logger.log(`ticket #${ticketId}: topic ${ticket.threadId} renamed to its AI title`);
  }

  private waitForTitle(ticketId: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(ticketId) ?? new Set<() => void>();
      this.waiters.set(ticketId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (!set.size) this.waiters.delete(ticketId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }
}
