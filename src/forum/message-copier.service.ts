import { Injectable, Logger } from '@nestjs/common';
import { InboxRepository } from '../telegram/repositories/inbox.repository';
import { persist } from '../database/persist';
import { Metrics } from '../metrics/metrics.service';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TicketMessage } from '../tickets/ticket-message.entity';
import { Ticket } from '../tickets/ticket.entity';
import { albumRuns, copyBatches, settledAlbum } from './albums';
import { TopicNotes } from './topic-notes.service';

/**
 * Group sends one turn of a ticket's sync makes before it gives its worker to the next ticket's job
 * (and queues its own again): with many tickets behind, each advances in turn and a new ticket's topic
 * does not wait for a long backlog of another's copies.
 */
export const SENDS_PER_TURN = 4;

/**
 * Copies a ticket's pending customer messages into its topic, oldest first: single messages alone, a
 * pile that waited as one copyMessages call, albums as albums once complete. Each result is recorded as
 * soon as Telegram returns it; a copy whose earlier attempt has an unknown outcome is sent again (a
 * customer message is never dropped) and logged as a possible repeat. Part of `ticket.sync` (see
 * TicketSyncJob), which holds the ticket's lease while this runs.
 */
@Injectable()
export class MessageCopier {
  private readonly logger = new Logger('TopicSync');

  constructor(
    private readonly messages: TicketMessageRepository,
    private readonly inbox: InboxRepository,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly notes: TopicNotes,
    private readonly metrics: Metrics,
  ) {}

  /** One turn: at most SENDS_PER_TURN group sends; 'more' when copies are still pending after it. */
  async copyPending(ticket: Ticket): Promise<'done' | 'more'> {
    const pending = await this.messages.pending(ticket.id, 'customer');
    let sends = 0;
    for (const run of copyBatches(albumRuns(pending))) {
      if (sends >= SENDS_PER_TURN) return 'more';
      if (run[0].mediaGroupId) await this.copyAlbum(ticket, run);
      else if (run.length > 1) await this.copyBatch(ticket, run);
      else await this.copyOne(ticket, run[0]);
      sends++;
    }
    if (pending.length) this.logger.debug(`ticket #${ticket.id}: ${pending.length} message(s) copied to topic ${ticket.threadId}`);
    return 'done';
  }

  /**
   * Several messages that piled up (the group was behind) in one copyMessages call, in order. If
   * Telegram refuses the batch, each goes alone, so the one at fault gets its own answer.
   */
  private async copyBatch(ticket: Ticket, batch: TicketMessage[]): Promise<void> {
    const ids = batch.map((m) => m.id);
    await this.messages.markCopyStarted(ids);
    let copies: { message_id: number }[];
    try {
      copies = await this.gateway.call(
        'copyMessages',
        { chat_id: ticket.groupId, from_chat_id: batch[0].chatId, message_ids: batch.map((m) => m.messageId), message_thread_id: ticket.threadId! },
        { lane: 'group', key: ticket.id },
      );
    } catch (error) {
      if (!(error instanceof TelegramCallError) || !error.answered) throw error;
      await this.messages.clearCopyStarted(ids);
      if (error.kind !== 'bad-request' && error.kind !== 'uncopyable') throw error;
      for (const message of batch) await this.copyOne(ticket, { ...message, copyStartedAt: null });
      return;
    }
    if (copies.length !== batch.length) {
      // Telegram skips messages it cannot find (deleted meanwhile): the rest are copied, unmapped.
      this.logger.warn(`ticket #${ticket.id}: ${batch.length - copies.length} of ${batch.length} messages were skipped by Telegram (deleted?)`);
    }
    await persist(() => this.messages.recordAlbumCopies(batch, copies), `ticket #${ticket.id}: ${batch.length} copies`, this.logger);
  }

  private async copyOne(ticket: Ticket, message: TicketMessage): Promise<void> {
    if (message.copyStartedAt) {
      // Requested before, result never recorded: the copy may exist. Copy again: a customer message is never dropped.
      this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} may be copied twice (an earlier attempt's outcome is unknown)`);
      this.metrics.unknownOutcomeRepeat('copyMessage');
    }
    const replyTo = await this.messages.mapReply(ticket.id, 'customer', message.replyToMessageId);
    await this.messages.markCopyStarted([message.id]);
    try {
      const copy = await this.gateway.copyMessage(
        ticket.groupId,
        message.chatId,
        message.messageId,
        { message_thread_id: ticket.threadId!, ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}) },
        { lane: 'group', key: ticket.id },
      );
      await persist(() => this.messages.recordCopy(message.id, copy.message_id), `ticket #${ticket.id}: copy of ${message.messageId}`, this.logger);
      this.metrics.copiedToTopic((Date.now() - new Date(message.createdAt).getTime()) / 1000);
    } catch (error) {
      if (error instanceof TelegramCallError && error.answered) await this.messages.clearCopyStarted([message.id]);
      if (error instanceof TelegramCallError && error.kind === 'uncopyable') return this.refused(ticket, message, error);
      if (error instanceof TelegramCallError && error.kind === 'bad-request') return this.rejected(ticket, message, error);
      throw error;
    }
  }

  /** An album goes as one: copyMessages keeps the grouping, once every item has arrived. */
  private async copyAlbum(ticket: Ticket, run: TicketMessage[]): Promise<void> {
    const items = await settledAlbum(this.messages, this.inbox, ticket.id, 'customer', run[0].mediaGroupId!);
    const ids = items.map((m) => m.id);
    if (run.some((m) => m.copyStartedAt)) {
      this.logger.warn(`ticket #${ticket.id}: album ${run[0].mediaGroupId} may be copied twice (an earlier attempt's outcome is unknown)`);
      this.metrics.unknownOutcomeRepeat('copyMessages');
    }
    await this.messages.markCopyStarted(ids);
    const copies = await this.gateway
      .call(
        'copyMessages',
        {
          chat_id: ticket.groupId,
          from_chat_id: items[0].chatId,
          message_ids: items.map((m) => m.messageId),
          message_thread_id: ticket.threadId!,
        },
        { lane: 'group', key: ticket.id },
      )
      .catch(async (error: unknown) => {
        if (error instanceof TelegramCallError && error.answered) await this.messages.clearCopyStarted(ids);
        throw error;
      });
    await persist(() => this.messages.recordAlbumCopies(items, copies), `ticket #${ticket.id}: album copy`, this.logger);
    for (const message of run) this.metrics.copiedToTopic((Date.now() - new Date(message.createdAt).getTime()) / 1000);
  }

  /** Telegram will not copy this message (a paid post, an invoice, a quiz...): say so on both sides. */
  private async refused(ticket: Ticket, message: TicketMessage, error: TelegramCallError): Promise<void> {
    this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} (${message.kind}) cannot be copied: ${error.description}`);
    await this.messages.markFailed([message.id], 'uncopyable');
    const kind = message.kind.replace(/_/g, ' ');
    await this.notes.post(ticket.groupId, ticket.threadId!, 'topic.unsupported', { kind });
    await this.gateway
      .sendMessage(
        ticket.customerId,
        this.i18n.t(ticket.language, 'unsupported.customer', { kind }),
        { reply_parameters: { message_id: message.messageId, allow_sending_without_reply: true } },
        { lane: 'customer' },
      )
      .catch((e: Error) => this.logger.warn(`ticket #${ticket.id}: could not tell the customer: ${e.message}`));
  }

  /**
   * Telegram rejected this copy for a reason about this request (the customer deleted the message, say),
   * not about its kind: the agents see why; the customer is not told their message is unsupported.
   */
  private async rejected(ticket: Ticket, message: TicketMessage, error: TelegramCallError): Promise<void> {
    this.logger.warn(`ticket #${ticket.id}: message ${message.messageId} was not copied: ${error.description}`);
    await this.messages.markFailed([message.id], 'rejected');
    await this.notes.post(ticket.groupId, ticket.threadId!, 'topic.notCopied', { reason: error.description });
  }
}
