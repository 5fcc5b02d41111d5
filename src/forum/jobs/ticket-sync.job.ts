import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, IsNull, QueryRunner } from 'typeorm';
import { TopicTitleSource } from '../../ai/topic-title.port';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobQueue } from '../../jobs/job-queue';
import { I18n } from '../../telegram/i18n/i18n.service';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { CategoryCatalog } from '../../tickets/category-catalog.service';
import { Customer } from '../../tickets/customer.entity';
import { TicketMessage } from '../../tickets/ticket-message.entity';
import { Ticket } from '../../tickets/ticket.entity';
import { provisionalTitle, ticketCard } from '../ticket-card';
import { TopicAdoption } from '../topic-adoption.service';

/** Advisory-lock namespace for "one sync of a ticket at a time", across workers and instances. */
const SYNC_LOCK = 7301;
/** How long the topic waits for an AI title before it is created with the provisional one. */
export const AI_TITLE_BUDGET_MS = 1500;
/**
 * After an attempt whose outcome is unknown (a crash, a timeout), how long to wait for Telegram's
 * `forum_topic_created` message to reveal the topic before creating another.
 */
const ADOPTION_WAIT_MS = 8000;

/**
 * `ticket.sync`: makes the ticket's forum topic exist (with its card) and copies the customer's pending
 * messages into it, oldest first. Idempotent: every result is recorded as soon as Telegram returns it,
 * so a retried job continues where the last one stopped instead of repeating it.
 *
 * One sync per ticket runs at a time (a session advisory lock, released by PostgreSQL if the process
 * dies). A job that finds the lock taken leaves: the holder re-checks for new work after releasing it.
 */
@Injectable()
export class TicketSyncJob implements OnModuleInit {
  private readonly logger = new Logger('TopicSync');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly catalog: CategoryCatalog,
    private readonly titles: TopicTitleSource,
    private readonly adoption: TopicAdoption,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ticket.sync', ({ ticketId }) => this.run(ticketId));
  }

  async run(ticketId: number): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      while (await this.lock(runner, ticketId)) {
        try {
          await this.syncOnce(ticketId);
        } finally {
          await runner.query('SELECT pg_advisory_unlock($1, $2)', [SYNC_LOCK, lockKey(ticketId)]);
        }
        // Work that arrived while we held the lock was left to us by jobs that could not take it.
        if (!(await this.hasPendingWork(ticketId))) return;
      }
    } finally {
      await runner.release();
    }
  }

  private async lock(runner: QueryRunner, ticketId: number): Promise<boolean> {
    const [row] = await runner.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [SYNC_LOCK, lockKey(ticketId)]);
    return row.locked === true;
  }

  private async hasPendingWork(ticketId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM tickets t WHERE t.id = $1 AND (t.thread_id IS NULL OR t.card_message_id IS NULL OR EXISTS (
         SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.direction = 'customer' AND m.copied_at IS NULL))`,
      [ticketId],
    );
    return rows.length > 0;
  }

  private async syncOnce(ticketId: number): Promise<void> {
    const tickets = this.dataSource.getRepository(Ticket);
    let ticket = await tickets.findOneBy({ id: ticketId });
    if (!ticket) {
      this.logger.warn(`ticket #${ticketId} does not exist; nothing to sync`);
      return;
    }
    for (let recreated = 0; ; recreated++) {
      try {
        if (!ticket.threadId) ticket = await this.createTopic(ticket);
        if (!ticket.cardMessageId) ticket = await this.postCard(ticket);
        await this.copyPending(ticket);
        return;
      } catch (error) {
        if (error instanceof TelegramCallError && error.kind === 'thread-gone' && recreated === 0) {
          this.logger.warn(`ticket #${ticket.id}: topic ${ticket.threadId} is gone; creating a new one`);
          await tickets.update({ id: ticket.id }, { threadId: null, cardMessageId: null });
          ticket = { ...ticket, threadId: null, cardMessageId: null };
          continue;
        }
        throw error;
      }
    }
  }

  private async createTopic(ticket: Ticket): Promise<Ticket> {
    if (ticket.topicRequestedAt) {
      const adopted = await this.awaitAdoption(ticket);
      if (adopted.threadId) return adopted;
    }
    const first = await this.dataSource.getRepository(TicketMessage).findOne({
      where: { ticketId: ticket.id, direction: 'customer' },
      order: { id: 'ASC' },
    });
    const label = this.catalog.label(this.config.supportLanguage, ticket.category, ticket.subcategory);
    const fallback = provisionalTitle(ticket, label, first?.text ?? null);
    const suggested = await this.titles.suggest(ticket, first?.text ?? null, AI_TITLE_BUDGET_MS).catch(() => null);
    const title = suggested ?? fallback;
    // Recorded before the call: if the process dies before the result is stored, the next attempt
    // knows a topic may exist and waits for Telegram to announce it.
    await this.dataSource.query(`UPDATE tickets SET topic_attempts = topic_attempts + 1, topic_requested_at = now() WHERE id = $1`, [
      ticket.id,
    ]);
    const topic = await this.gateway.createForumTopic(this.config.supportChatId, title).catch(async (error: unknown) => {
      // Telegram answered with an error: no topic was created, so there is nothing to wait for next time.
      if (error instanceof TelegramCallError && error.code !== undefined) {
        await this.dataSource.query(`UPDATE tickets SET topic_requested_at = NULL WHERE id = $1`, [ticket.id]);
      }
      throw error;
    });
    const stored: unknown[] = await this.dataSource.query(
      `UPDATE tickets SET thread_id = $2, title = $3, topic_requested_at = NULL, updated_at = now()
        WHERE id = $1 AND (thread_id IS NULL OR thread_id = $2) RETURNING id`,
      [ticket.id, topic.message_thread_id, topic.name],
    );
    if (!stored.length) {
      // A topic of an earlier attempt was adopted meanwhile; this one is the duplicate.
      await this.adoption.removeDuplicate(ticket.id, topic.message_thread_id);
      return (await this.dataSource.getRepository(Ticket).findOneByOrFail({ id: ticket.id })) as Ticket;
    }
    this.logger.log(`ticket #${ticket.id}: topic ${topic.message_thread_id} "${topic.name}" created`);
    return { ...ticket, threadId: topic.message_thread_id, title: topic.name };
  }

  /** Waits (bounded) for the topic of an earlier attempt to be adopted; returns the ticket as it then is. */
  private async awaitAdoption(ticket: Ticket): Promise<Ticket> {
    const deadline = ticket.topicRequestedAt!.getTime() + ADOPTION_WAIT_MS;
    const tickets = this.dataSource.getRepository(Ticket);
    for (;;) {
      const current = await tickets.findOneByOrFail({ id: ticket.id });
      if (current.threadId || Date.now() >= deadline) return current;
      await new Promise((r) => setTimeout(r, Math.min(250, deadline - Date.now())));
    }
  }

  private async postCard(ticket: Ticket): Promise<Ticket> {
    const customer = await this.dataSource.getRepository(Customer).findOneByOrFail({ id: ticket.customerId });
    const language = this.config.supportLanguage;
    const label = this.catalog.label(language, ticket.category, ticket.subcategory);
    const card = await this.gateway.sendMessage(
      this.config.supportChatId,
      ticketCard(this.i18n, language, ticket, customer, label),
      { message_thread_id: ticket.threadId!, link_preview_options: { is_disabled: true } },
      { lane: 'group' },
    );
    await this.dataSource.query(`UPDATE tickets SET card_message_id = $2 WHERE id = $1`, [ticket.id, card.message_id]);
    return { ...ticket, cardMessageId: card.message_id };
  }

  private async copyPending(ticket: Ticket): Promise<void> {
    const messages = this.dataSource.getRepository(TicketMessage);
    const pending = await messages.find({
      where: { ticketId: ticket.id, direction: 'customer', copiedAt: IsNull() },
      order: { id: 'ASC' },
    });
    for (const message of pending) {
      if (message.copyStartedAt) {
        // Requested before, result never recorded: the copy may exist. Copy again: a customer message is never dropped.
        this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} may be copied twice (an earlier attempt's outcome is unknown)`);
      }
      await messages.update({ id: message.id }, { copyStartedAt: new Date() });
      const copy = await this.gateway
        .copyMessage(this.config.supportChatId, message.chatId, message.messageId, { message_thread_id: ticket.threadId! }, { lane: 'group' })
        .catch(async (error: unknown) => {
          if (error instanceof TelegramCallError && error.code !== undefined) await messages.update({ id: message.id }, { copyStartedAt: null });
          throw error;
        });
      await messages.update({ id: message.id }, { copyMessageId: copy.message_id, copiedAt: new Date() });
    }
    if (pending.length) this.logger.debug(`ticket #${ticket.id}: ${pending.length} message(s) copied to topic ${ticket.threadId}`);
  }
}

function lockKey(ticketId: number): number {
  return ticketId % 2_147_483_647;
}
