import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
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
import { mapReply } from '../reply-map';
import { provisionalTitle, ticketCard } from '../ticket-card';
import { recordAlbumCopies, settledAlbum } from '../albums';
import { LOCKS, albumRuns, withTicketLock } from '../ticket-lock';
import { TopicAdoption } from '../topic-adoption.service';
import { TopicNotes } from '../topic-notes.service';
import { updateReturning } from '../../database/sql';

/**
 * After an attempt whose outcome is unknown (a crash, a timeout), how long to wait for Telegram's
 * `forum_topic_created` message to reveal the topic before creating another.
 */
const ADOPTION_WAIT_MS = 8000;

/**
 * `ticket.sync`: makes the ticket's forum topic exist (with its card) and copies the customer's pending
 * messages into it, oldest first, albums as albums. Idempotent: every result is recorded as soon as
 * Telegram returns it, so a retried job continues where the last one stopped instead of repeating it.
 * One sync per ticket runs at a time (see withTicketLock).
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
    private readonly notes: TopicNotes,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ticket.sync', ({ ticketId }) => this.run(ticketId));
  }

  run(ticketId: number): Promise<void> {
    return withTicketLock(
      this.dataSource,
      LOCKS.sync,
      ticketId,
      () => this.syncOnce(ticketId),
      () => this.hasPendingWork(ticketId),
    );
  }

  private async hasPendingWork(ticketId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM tickets t WHERE t.id = $1 AND (t.thread_id IS NULL OR t.card_message_id IS NULL OR EXISTS (
         SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.direction = 'customer' AND m.copied_at IS NULL AND m.failed_reason IS NULL))`,
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
    let recreated = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!ticket.threadId) ticket = await this.createTopic(ticket);
        if (!ticket.cardMessageId) {
          ticket = await this.postCard(ticket);
          if (recreated) await this.notes.post(ticket.threadId!, 'topic.recreated');
        }
        await this.copyPending(ticket);
        return;
      } catch (error) {
        if (!(error instanceof TelegramCallError) || attempt > 0) throw error;
        if (error.kind === 'thread-gone') {
          // An admin deleted the topic: a new one, with the card and a note, and the send is retried.
          this.logger.warn(`ticket #${ticket.id}: topic ${ticket.threadId} is gone; creating a new one`);
          await tickets.update({ id: ticket.id }, { threadId: null, cardMessageId: null });
          await this.dataSource.query(`UPDATE ticket_messages SET copy_message_id = NULL WHERE ticket_id = $1 AND direction = 'customer'`, [
            ticket.id,
          ]);
          ticket = { ...ticket, threadId: null, cardMessageId: null };
          recreated = true;
          continue;
        }
        if (error.kind === 'topic-closed' && ticket.threadId) {
          // Closed by hand while the ticket is open: reopen it and go on.
          this.logger.warn(`ticket #${ticket.id}: topic ${ticket.threadId} was closed by hand; reopening it`);
          await this.gateway
            .call('reopenForumTopic', { chat_id: this.config.supportChatId, message_thread_id: ticket.threadId }, { lane: 'group' })
            .catch((e: TelegramCallError) => {
              if (e.kind !== 'not-modified') throw e;
            });
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
    const suggested = await this.titles.forNewTopic(ticket).catch(() => null);
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
    const stored = await updateReturning(
      this.dataSource,
      `UPDATE tickets SET thread_id = $2, title = $3, topic_requested_at = NULL, updated_at = now()
        WHERE id = $1 AND (thread_id IS NULL OR thread_id = $2) RETURNING id`,
      [ticket.id, topic.message_thread_id, topic.name],
    );
    if (!stored.length) {
      // A topic of an earlier attempt was adopted meanwhile; this one is the duplicate.
      await this.adoption.removeDuplicate(ticket.id, topic.message_thread_id);
      return this.dataSource.getRepository(Ticket).findOneByOrFail({ id: ticket.id });
    }
    this.logger.log(`ticket #${ticket.id}: topic ${topic.message_thread_id} "${topic.name}" created`);
    await this.titles.topicCreated(ticket.id, topic.name);
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
      where: { ticketId: ticket.id, direction: 'customer', copiedAt: IsNull(), failedReason: IsNull() },
      order: { id: 'ASC' },
    });
    for (const run of albumRuns(pending)) {
      if (run.length > 1 || run[0].mediaGroupId) await this.copyAlbum(ticket, run);
      else await this.copyOne(ticket, run[0]);
    }
    if (pending.length) this.logger.debug(`ticket #${ticket.id}: ${pending.length} message(s) copied to topic ${ticket.threadId}`);
  }

  private async copyOne(ticket: Ticket, message: TicketMessage): Promise<void> {
    const messages = this.dataSource.getRepository(TicketMessage);
    if (message.copyStartedAt) {
      // Requested before, result never recorded: the copy may exist. Copy again: a customer message is never dropped.
      this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} may be copied twice (an earlier attempt's outcome is unknown)`);
    }
    const replyTo = await mapReply(this.dataSource, ticket.id, 'customer', message.replyToMessageId);
    await messages.update({ id: message.id }, { copyStartedAt: new Date() });
    try {
      const copy = await this.gateway.copyMessage(
        this.config.supportChatId,
        message.chatId,
        message.messageId,
        { message_thread_id: ticket.threadId!, ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}) },
        { lane: 'group' },
      );
      await messages.update({ id: message.id }, { copyMessageId: copy.message_id, copiedAt: new Date() });
    } catch (error) {
      if (error instanceof TelegramCallError && error.code !== undefined) await messages.update({ id: message.id }, { copyStartedAt: null });
      if (error instanceof TelegramCallError && error.kind === 'bad-request') return this.refused(ticket, message, error);
      throw error;
    }
  }

  /** An album goes as one: copyMessages keeps the grouping, once every item has arrived. */
  private async copyAlbum(ticket: Ticket, run: TicketMessage[]): Promise<void> {
    const messages = this.dataSource.getRepository(TicketMessage);
    const items = await settledAlbum(this.dataSource, ticket.id, 'customer', run[0].mediaGroupId!);
    const ids = items.map((m) => m.id);
    await messages.update(ids, { copyStartedAt: new Date() });
    const copies = await this.gateway
      .call(
        'copyMessages',
        {
          chat_id: this.config.supportChatId,
          from_chat_id: items[0].chatId,
          message_ids: items.map((m) => m.messageId),
          message_thread_id: ticket.threadId!,
        },
        { lane: 'group' },
      )
      .catch(async (error: unknown) => {
        if (error instanceof TelegramCallError && error.code !== undefined) await messages.update(ids, { copyStartedAt: null });
        throw error;
      });
    await recordAlbumCopies(this.dataSource, items, copies);
  }

  /** Telegram will not copy this message (a paid post, an invoice, a quiz...): say so on both sides. */
  private async refused(ticket: Ticket, message: TicketMessage, error: TelegramCallError): Promise<void> {
    this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} (${message.kind}) cannot be copied: ${error.description}`);
    await this.dataSource.getRepository(TicketMessage).update({ id: message.id }, { failedReason: 'uncopyable' });
    const kind = message.kind.replace(/_/g, ' ');
    await this.notes.post(ticket.threadId!, 'topic.unsupported', { kind });
    await this.gateway
      .sendMessage(
        ticket.customerId,
        this.i18n.t(ticket.language, 'unsupported.customer', { kind }),
        { reply_parameters: { message_id: message.messageId, allow_sending_without_reply: true } },
        { lane: 'customer' },
      )
      .catch((e: Error) => this.logger.warn(`ticket #${ticket.id}: could not tell the customer: ${e.message}`));
  }
}
