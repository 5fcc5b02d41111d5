import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../../jobs/job-queue';
import { currentWork } from '../../logging/work-context';
import { Metrics } from '../../metrics/metrics.service';
import { I18n } from '../../telegram/i18n/i18n.service';
import type { MessageKey } from '../../telegram/i18n/messages';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { ConversationService } from '../conversation.service';
import { TicketMessageRepository } from '../repositories/ticket-message.repository';
import { TicketRepository } from '../repositories/ticket.repository';
import { Ticket } from '../ticket.entity';
import { persist } from '../../database/persist';

/**
 * The acknowledgement "thank you, we will review it in order of the queue": sent inline right after the
 * ticket's COMMIT, and by the durable `ticket.ack` job when that could not happen (Telegram unreachable,
 * a 429 storm, or a crash between COMMIT and the send). Recorded once sent, so a known outcome is never
 * repeated; one whose request got no answer (a timeout, a crash mid-call) is sent again and counted
 * (`helpdesk_telegram_unknown_outcome_repeats_total`), since the customer may then have it twice.
 */
@Injectable()
export class TicketAckJob implements OnModuleInit {
  private readonly logger = new Logger('Ack');

  constructor(
    private readonly tickets: TicketRepository,
    private readonly messages: TicketMessageRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly conversation: ConversationService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ticket.ack', ({ ticketId }) => this.fromJob(ticketId));
  }

  /** The hot path: one Bot API call. On failure the durable job takes over; nothing is thrown. */
  async sendInline(ticket: Ticket, replyTo: number | undefined): Promise<void> {
    try {
      // No inline retry: waiting out a 429 here would hold the customer's chat; the job waits instead.
      await this.send(ticket, replyTo, 0);
    } catch (error) {
      if (error instanceof TelegramCallError && error.kind === 'blocked') return this.giveUp(ticket, error);
      if (!(error instanceof TelegramCallError)) {
        // The customer has it; only its record is missing (the database stayed away). A job would send it again.
        this.logger.error(`ticket #${ticket.id}: acknowledgement sent, its record lost: ${(error as Error).message}`);
        return;
      }
      this.logger.warn(`ticket #${ticket.id}: acknowledgement failed inline (${error.message}); a job will retry it`);
      // Telegram answered: nothing was sent, so the job's send is no repeat. Without an answer the mark stays.
      if (!error.outcomeUnknown) {
        await this.tickets.clearAckStarted(ticket.id).catch((e: Error) => this.logger.debug(`ticket #${ticket.id}: ${e.message}`));
      }
      await this.jobs.send('ticket.ack', { ticketId: ticket.id });
    }
  }

  /** A short notice to the customer about their ticket, best effort (a failure is logged, not retried). */
  async tell(ticket: Ticket, key: MessageKey, replyTo?: number): Promise<void> {
    await this.gateway
      .sendMessage(
        ticket.customerId,
        this.i18n.t(ticket.language, key, { ticket: ticket.id }),
        replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {},
        { lane: 'customer', retries: 1 },
      )
      .catch((error: Error) => this.logger.warn(`ticket #${ticket.id}: could not tell the customer (${key}): ${error.message}`));
  }

  private async fromJob(ticketId: number): Promise<void> {
    const ticket = await this.tickets.find(ticketId);
    if (!ticket || ticket.ackMessageId !== null) return;
    const first = await this.messages.firstCustomerMessage(ticketId);
    if (ticket.ackStartedAt) {
      // Requested before (inline, or by an attempt that died with its instance), result never recorded: the
      // customer may have it. Sent again all the same: a customer must learn that the ticket exists.
      this.logger.warn(`ticket #${ticket.id}: the acknowledgement may arrive twice (an earlier attempt's outcome is unknown)`);
      this.metrics.unknownOutcomeRepeat('sendMessage');
    } else {
      await this.tickets.markAckStarted(ticket.id);
    }
    try {
      await this.send(ticket, first?.messageId, 3);
    } catch (error) {
      if (error instanceof TelegramCallError && !error.outcomeUnknown) await this.tickets.clearAckStarted(ticket.id);
      if (error instanceof TelegramCallError && error.kind === 'blocked') return this.giveUp(ticket, error);
      throw error;
    }
  }

  private async send(ticket: Ticket, replyTo: number | undefined, retries: number): Promise<void> {
    const sent = await this.gateway.sendMessage(
      ticket.customerId,
      this.i18n.t(ticket.language, 'ticket.ack', { ticket: ticket.id }),
      {
        ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
        reply_markup: { inline_keyboard: [[{ text: this.i18n.t(ticket.language, 'button.closeTicket'), callback_data: `close:${ticket.id}` }]] },
      },
      { lane: 'customer', retries },
    );
    // From the update's arrival when this runs for it, else (the durable job) from the ticket's creation.
    const arrivedAt = currentWork()?.receivedAt ?? new Date(ticket.createdAt).getTime();
    this.metrics.acknowledged((Date.now() - arrivedAt) / 1000);
    // Sent: from here on only the record may be retried, never the acknowledgement itself.
    await persist(() => this.tickets.recordAck(ticket.id, sent.message_id), `ticket #${ticket.id}: acknowledgement`, this.logger);
  }

  private async giveUp(ticket: Ticket, error: TelegramCallError): Promise<void> {
    this.logger.warn(`ticket #${ticket.id}: customer ${ticket.customerId} cannot be reached (${error.description}); no acknowledgement`);
    await this.tickets.recordAck(ticket.id, 0);
    await this.conversation.setBlocked(null, ticket.customerId, true);
  }
}
