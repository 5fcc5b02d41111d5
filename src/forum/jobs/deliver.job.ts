import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InboxRepository } from '../../telegram/repositories/inbox.repository';
import type { MessageEntity } from 'telegraf/types';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { LEASES } from '../../database/locks';
import { WorkLeaseRepository } from '../../database/repositories/work-lease.repository';
import { JobQueue } from '../../jobs/job-queue';
import { I18n } from '../../telegram/i18n/i18n.service';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { ConversationService } from '../../tickets/conversation.service';
import { TicketMessageRepository } from '../../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';
import { TicketMessage } from '../../tickets/ticket-message.entity';
import { Ticket } from '../../tickets/ticket.entity';
import { albumRuns, settledAlbum } from '../albums';
import { TopicNotes } from '../topic-notes.service';
import { TopicStatusService } from '../topic-status.service';
import { persist } from '../../database/persist';
import { Metrics } from '../../metrics/metrics.service';

/**
 * `ticket.deliver`: copies the agents' pending answers of a ticket to the customer, in order, albums as
 * albums, replies as replies to the customer's own message. The customer sees the team, not the agent's
 * account (copyMessage); with AGENT_SIGNATURE the agent's first name is appended. A customer who blocked
 * the bot is marked and the topic told; their answers are not retried.
 */
@Injectable()
export class DeliverJob implements OnModuleInit {
  private readonly logger = new Logger('Deliver');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leases: WorkLeaseRepository,
    private readonly tickets: TicketRepository,
    private readonly messages: TicketMessageRepository,
    private readonly inbox: InboxRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly conversation: ConversationService,
    private readonly notes: TopicNotes,
    private readonly status: TopicStatusService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ticket.deliver', ({ ticketId }) =>
      this.leases.whileLeased(
        LEASES.deliver,
        ticketId,
        async () => {
          await this.deliver(ticketId);
          // The team answered: the topic's icon says so (once, after the answers went; it does not hold the lease).
          this.status.follow(ticketId);
        },
        () => this.messages.hasPending(ticketId, 'agent'),
      ),
    );
  }

  private async deliver(ticketId: number): Promise<void> {
    const ticket = await this.tickets.find(ticketId);
    if (!ticket) throw new Error(`ticket #${ticketId} does not exist`);
    const pending = await this.messages.pending(ticketId, 'agent');
    for (const run of albumRuns(pending)) {
      try {
        if (run[0].mediaGroupId) await this.copyAlbum(ticket, run);
        else await this.copyOne(ticket, run[0]);
      } catch (error) {
        if (error instanceof TelegramCallError && error.kind === 'blocked') return this.customerGone(ticket, error);
        if (error instanceof TelegramCallError && (error.kind === 'bad-request' || error.kind === 'uncopyable')) {
          this.logger.warn(`ticket #${ticket.id}: answer ${run[0].messageId} cannot be delivered: ${error.description}`);
          await this.markFailed(run, 'rejected');
          // The agent must know their answer did not reach the customer, and why.
          if (ticket.threadId) {
            await this.notes
              .post(ticket.groupId, ticket.threadId, 'topic.answerRejected', { reason: error.description }, run[0].messageId)
              .catch((e: Error) => this.logger.warn(`ticket #${ticket.id}: could not post in the topic: ${e.message}`));
          }
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Marks the answers as requested, sends, and clears the mark when Telegram answered with an error
   * (nothing was sent). A mark found set means an earlier attempt's outcome is unknown (a crash, a
   * timeout): the answer goes again, so the customer may see it twice, and that is logged and counted.
   */
  private async requested<T>(ticket: Ticket, run: TicketMessage[], ids: number[], method: string, send: () => Promise<T>): Promise<T> {
    if (run.some((m) => m.copyStartedAt)) {
      this.logger.warn(`ticket #${ticket.id}: answer ${run[0].messageId} may be delivered twice (an earlier attempt's outcome is unknown)`);
      this.metrics.unknownOutcomeRepeat(method);
    }
    await this.messages.markCopyStarted(ids);
    try {
      return await send();
    } catch (error) {
      if (error instanceof TelegramCallError && !error.outcomeUnknown) await this.messages.clearCopyStarted(ids);
      throw error;
    }
  }

  private async copyOne(ticket: Ticket, message: TicketMessage): Promise<void> {
    const replyTo = await this.messages.mapReply(ticket.id, 'agent', message.replyToMessageId);
    const reply = replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {};
    const signed = message.teamSigned && message.authorName
      ? unescape(this.i18n.t(ticket.language, 'team.signature', { team: message.authorName }))
      : this.config.agentSignature && message.authorName
        ? unescape(this.i18n.t(ticket.language, 'signature', { name: message.authorName }))
        : null;
    // A signature that would push the answer past Telegram's length (counted in UTF-16 units, as Telegram
    // does) is left off: the answer itself goes.
    const room = message.kind === 'text' ? TEXT_MAX : CAPTION_MAX;
    const signature = signed && message.text !== null && `${message.text}\n\n${signed}`.length > room ? null : signed;
    let sentId: number;
    if (signature && message.kind === 'text' && message.text) {
      // copyMessage cannot change a text, so a signed text is sent anew with its original formatting.
      const text = `${message.text}\n\n${signature}`;
      const sent = await this.requested(ticket, [message], [message.id], 'sendMessage', () =>
        this.gateway.call('sendMessage', { chat_id: ticket.customerId, text, entities: (message.entities ?? []) as MessageEntity[], ...reply }, { lane: 'customer' }),
      );
      sentId = sent.message_id;
    } else {
      const caption = signature && message.text !== null && message.kind !== 'text' ? { caption: `${message.text}\n\n${signature}`, caption_entities: (message.entities ?? []) as MessageEntity[] } : {};
      const copy = await this.requested(ticket, [message], [message.id], 'copyMessage', () =>
        this.gateway.copyMessage(ticket.customerId, ticket.groupId, message.messageId, { ...reply, ...caption }, { lane: 'customer' }),
      );
      sentId = copy.message_id;
    }
    await persist(() => this.messages.recordCopy(message.id, sentId), `ticket #${ticket.id}: answer ${message.messageId}`, this.logger);
  }

  private async copyAlbum(ticket: Ticket, run: TicketMessage[]): Promise<void> {
    const items = await settledAlbum(this.messages, this.inbox, ticket.id, 'agent', run[0].mediaGroupId!);
    const copies = await this.requested(ticket, run, items.map((m) => m.id), 'copyMessages', () =>
      this.gateway.call('copyMessages', { chat_id: ticket.customerId, from_chat_id: ticket.groupId, message_ids: items.map((m) => m.messageId) }, { lane: 'customer' }),
    );
    await persist(() => this.messages.recordAlbumCopies(items, copies), `ticket #${ticket.id}: album answer`, this.logger);
  }

  /** 403: the customer blocked the bot or deleted their account. Nothing is retried; the topic is told. */
  private async customerGone(ticket: Ticket, error: TelegramCallError): Promise<void> {
    this.logger.warn(`ticket #${ticket.id}: customer ${ticket.customerId} cannot be reached (${error.description})`);
    await this.markFailed(await this.messages.pending(ticket.id, 'agent'), 'blocked');
    const newlyBlocked = await this.conversation.setBlocked(null, ticket.customerId, true);
    if (!newlyBlocked && ticket.threadId) {
      // Already known to be blocked: say at least that these answers were not delivered.
      await this.notes
        .post(ticket.groupId, ticket.threadId, 'topic.undelivered')
        .catch((e: Error) => this.logger.warn(`ticket #${ticket.id}: could not post in the topic: ${e.message}`));
    }
  }

  private async markFailed(messages: TicketMessage[], reason: 'blocked' | 'rejected'): Promise<void> {
    await this.messages.markFailed(
      messages.map((m) => m.id),
      reason,
    );
  }
}

/** Telegram's limits for a message text and a caption. */
const TEXT_MAX = 4096;
const CAPTION_MAX = 1024;

/** Catalog texts are HTML; a signature added to an entity-formatted text is plain. */
function unescape(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}
