import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Tx, UnitOfWork } from '../jobs/unit-of-work';
import { IncomingMessage } from './incoming-message';
import { CustomerRepository } from './repositories/customer.repository';
import { TicketMessageRepository } from './repositories/ticket-message.repository';
import { TicketRepository } from './repositories/ticket.repository';
import { UpdateClaimRepository } from './repositories/update-claim.repository';
import { Ticket } from './ticket.entity';

export type CloseResult = { outcome: 'closed'; ticket: Ticket } | { outcome: 'already' | 'none' | 'duplicate' | 'not-ticket' };
export type ReopenResult =
  | { outcome: 'reopened'; ticket: Ticket }
  | { outcome: 'newer-open'; ticket: Ticket }
  | { outcome: 'already' | 'duplicate' | 'not-ticket' };
export type EditChange = { text?: string; caption?: string; entities?: unknown[] };

/**
 * The conversation after intake: agents' answers, closing and reopening, edits, and a customer who
 * blocks the bot. Like intake, each operation is one unit of work that records the update and
 * publishes what became true; listeners write the jobs that carry it out.
 */
@Injectable()
export class ConversationService {
  private readonly logger = new Logger('Conversation');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly updates: UpdateClaimRepository,
    private readonly customers: CustomerRepository,
    private readonly tickets: TicketRepository,
    private readonly messages: TicketMessageRepository,
  ) {}

  /** An agent's message in a ticket's topic (`groupId`, `threadId`), to be copied to the customer; `teamSigned` for an anonymous administrator's. */
  recordAgentMessage(
    message: IncomingMessage,
    groupId: number,
    threadId: number,
    teamSigned = false,
  ): Promise<{ outcome: 'recorded' | 'duplicate' | 'not-ticket'; ticket?: Ticket }> {
    return this.claimed(message.updateId, 'agent-message', async (tx) => {
      const ticket = await this.tickets.ofThread(groupId, threadId, tx.db);
      if (!ticket) return { outcome: 'not-ticket' as const };
      await this.messages.insert(
        ticket.id,
        [
          {
            direction: 'agent',
            chatId: groupId,
            messageId: message.messageId,
            kind: message.kind,
            text: message.text,
            mediaGroupId: message.mediaGroupId,
            replyToMessageId: message.replyToMessageId,
            entities: message.entities,
            authorName: message.from.first_name,
            teamSigned,
          },
        ],
        tx.db,
      );
      await tx.publish('agent.replied', { ticketId: ticket.id, messageId: message.messageId });
      return { outcome: 'recorded' as const, ticket };
    });
  }

  /** The customer's "Close" button or /close: their open ticket (or the given one, if it is theirs and open). */
  closeByCustomer(updateId: number, customerId: number, ticketId?: number): Promise<CloseResult> {
    return this.claimed(updateId, 'close', async (tx): Promise<CloseResult> => {
      const ticket = ticketId ? await this.tickets.findOfCustomer(ticketId, customerId, tx.db) : await this.tickets.openOf(customerId, tx.db);
      if (!ticket) return { outcome: 'none' };
      return this.close(tx, ticket, 'customer');
    });
  }

  /**
   * "I still need help" under the auto-close warning: the close is off, the ticket waits for the team
   * again and the topic is told. `already`: open, with no warning pending (pressed twice, or answered since).
   */
  keepOpen(updateId: number, customerId: number, ticketId: number): Promise<{ outcome: 'kept' | 'already' | 'none' | 'duplicate' }> {
    return this.claimed(updateId, 'keep-open', async (tx) => {
      if (!(await this.tickets.keepOpen(ticketId, customerId, tx.db))) {
        const ticket = await this.tickets.findOfCustomer(ticketId, customerId, tx.db);
        return { outcome: ticket?.status === 'open' ? ('already' as const) : ('none' as const) };
      }
      await tx.publish('ticket.keptOpen', { ticketId });
      this.logger.log(`ticket #${ticketId}: the customer still needs help; the automatic close is cancelled`);
      return { outcome: 'kept' as const };
    });
  }

  /** A rating button under the question after a close: stored once; the topic is told. */
  rate(updateId: number, customerId: number, ticketId: number, rating: number): Promise<{ outcome: 'rated' | 'none' | 'duplicate' }> {
    return this.claimed(updateId, 'rate', async (tx) => {
      if (!(await this.tickets.rate(ticketId, customerId, rating, tx.db))) return { outcome: 'none' as const };
      await tx.publish('ticket.rated', { ticketId, rating });
      this.logger.log(`ticket #${ticketId} rated ${rating}/5`);
      return { outcome: 'rated' as const };
    });
  }

  closeByAgent(updateId: number, groupId: number, threadId: number, agentName: string): Promise<CloseResult> {
    return this.claimed(updateId, 'close', async (tx): Promise<CloseResult> => {
      const ticket = await this.tickets.ofThread(groupId, threadId, tx.db);
      if (!ticket) return { outcome: 'not-ticket' };
      return this.close(tx, ticket, 'agent', agentName);
    });
  }

  reopenByAgent(updateId: number, groupId: number, threadId: number, agentName: string): Promise<ReopenResult> {
    return this.claimed(updateId, 'reopen', async (tx): Promise<ReopenResult> => {
      const ticket = await this.tickets.ofThread(groupId, threadId, tx.db);
      if (!ticket) return { outcome: 'not-ticket' };
      if (ticket.status === 'open') return { outcome: 'already' };
      await this.customers.lock(ticket.customerId, tx.db);
      const newer = await this.tickets.openOf(ticket.customerId, tx.db);
      if (newer?.id === ticket.id) return { outcome: 'already' };
      if (newer) return { outcome: 'newer-open', ticket: newer };
      if (!(await this.tickets.reopen(ticket.id, tx.db))) return { outcome: 'already' };
      await tx.publish('ticket.reopened', { ticketId: ticket.id, by: 'agent', agentName });
      return { outcome: 'reopened', ticket: { ...ticket, status: 'open' } };
    });
  }

  /**
   * An edited message, on either side: its copy on the other side is updated by a job. An edit of a
   * message the desk never recorded (a menu answer, a note) changes nothing.
   */
  recordEdit(updateId: number, chatId: number, messageId: number, change: EditChange) {
    return this.claimed(updateId, 'edit', async (tx) => {
      const row = await this.messages.findByOrigin(chatId, messageId, tx.db);
      if (!row) return { outcome: 'unknown' as const };
      await this.messages.applyEdit(row.id, change.text ?? change.caption ?? null, change.entities, tx.db);
      await tx.publish('message.edited', { rowId: row.id, ...change });
      return { outcome: 'queued' as const };
    });
  }

  /**
   * The customer blocked (Telegram's my_chat_member "kicked", or a 403) or unblocked the bot; with
   * `announce` false it is only recorded, and the topic is not told.
   */
  async setBlocked(updateId: number | null, customerId: number, blocked: boolean, announce = true): Promise<boolean> {
    const mark = async (tx: Tx) => {
      const changed = await this.customers.setBlocked(customerId, blocked, tx.db);
      if (changed && announce) await tx.publish('customer.blocked', { customerId, blocked });
      return { outcome: changed ? ('changed' as const) : ('same' as const) };
    };
    const result = updateId === null ? await this.uow.run(mark) : await this.claimed(updateId, 'my_chat_member', mark);
    const changed = result.outcome === 'changed';
    if (changed) this.logger.log(`customer ${customerId} ${blocked ? 'blocked' : 'unblocked'} the bot`);
    return changed;
  }

  private async close(tx: Tx, ticket: Ticket, by: 'customer' | 'agent', agentName?: string): Promise<CloseResult> {
    if (!(await this.tickets.close(ticket.id, by, tx.db))) return { outcome: 'already' };
    await tx.publish('ticket.closed', { ticketId: ticket.id, by, agentName });
    this.logger.log(`ticket #${ticket.id} closed by ${by === 'agent' ? `agent ${agentName}` : 'the customer'}`);
    return { outcome: 'closed', ticket: { ...ticket, status: 'closed' } };
  }

  /** A unit of work that first records the update; a redelivered update changes nothing. */
  private claimed<T extends { outcome: string }>(updateId: number, kind: string, work: (tx: Tx) => Promise<T>): Promise<T | { outcome: 'duplicate' }> {
    return this.uow.run(async (tx) => {
      if (!(await this.updates.claim(updateId, kind, tx.db))) return { outcome: 'duplicate' as const };
      return work(tx);
    });
  }
}
