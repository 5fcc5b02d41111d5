import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobName, JobQueue } from '../jobs/job-queue';
import { IncomingMessage } from './incoming-message';
import { claimUpdate, insertTicketMessages, openTicketOf } from './ticket-store';
import { Ticket } from './ticket.entity';
import { updateReturning } from '../database/sql';

export type CloseResult = { outcome: 'closed'; ticket: Ticket } | { outcome: 'already' | 'none' | 'duplicate' | 'not-ticket' };
export type ReopenResult =
  | { outcome: 'reopened'; ticket: Ticket }
  | { outcome: 'newer-open'; ticket: Ticket }
  | { outcome: 'already' | 'duplicate' | 'not-ticket' };

/**
 * The conversation after intake: agents' answers, closing and reopening, edits, and a customer who
 * blocks the bot. Like intake, each operation is one transaction that records the update and writes the
 * jobs that carry it out; the jobs are woken after COMMIT.
 */
@Injectable()
export class ConversationService {
  private readonly logger = new Logger('Conversation');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
  ) {}

  /** An agent's message in a ticket's topic, to be copied to the customer. */
  async recordAgentMessage(message: IncomingMessage, threadId: number): Promise<{ outcome: 'recorded' | 'duplicate' | 'not-ticket'; ticket?: Ticket }> {
    const result = await this.inTransaction(message.updateId, 'agent-message', async (m) => {
      const ticket = await this.ticketOfThread(m, threadId);
      if (!ticket) return { outcome: 'not-ticket' as const };
      await insertTicketMessages(m, ticket.id, [
        {
          direction: 'agent',
          chatId: this.config.supportChatId,
          messageId: message.messageId,
          kind: message.kind,
          text: message.text,
          mediaGroupId: message.mediaGroupId,
          replyToMessageId: message.replyToMessageId,
          entities: message.entities,
          authorName: message.from.first_name,
        },
      ]);
      await this.jobs.send('ticket.deliver', { ticketId: ticket.id }, { tx: m });
      return { outcome: 'recorded' as const, ticket };
    });
    this.wakeIf(result.outcome === 'recorded', 'ticket.deliver');
    return result;
  }

  /** The customer's "Close" button or /close: their open ticket (or the given one, if it is theirs and open). */
  async closeByCustomer(updateId: number, customerId: number, ticketId?: number): Promise<CloseResult> {
    const result = await this.inTransaction(updateId, 'close', async (m): Promise<CloseResult> => {
      const ticket = ticketId ? await m.getRepository(Ticket).findOneBy({ id: ticketId, customerId }) : await openTicketOf(m, customerId);
      if (!ticket) return { outcome: 'none' };
      return this.close(m, ticket, 'customer');
    });
    this.wakeIf(result.outcome === 'closed', 'ticket.lifecycle');
    return result;
  }

  async closeByAgent(updateId: number, threadId: number, agentName: string): Promise<CloseResult> {
    const result = await this.inTransaction(updateId, 'close', async (m): Promise<CloseResult> => {
      const ticket = await this.ticketOfThread(m, threadId);
      if (!ticket) return { outcome: 'not-ticket' };
      return this.close(m, ticket, 'agent', agentName);
    });
    this.wakeIf(result.outcome === 'closed', 'ticket.lifecycle');
    return result;
  }

  async reopenByAgent(updateId: number, threadId: number, agentName: string): Promise<ReopenResult> {
    const result = await this.inTransaction(updateId, 'reopen', async (m): Promise<ReopenResult> => {
      const ticket = await this.ticketOfThread(m, threadId);
      if (!ticket) return { outcome: 'not-ticket' };
      if (ticket.status === 'open') return { outcome: 'already' };
      const newer = await openTicketOf(m, ticket.customerId);
      if (newer) return { outcome: 'newer-open', ticket: newer };
      await m.query(
        `UPDATE tickets SET status = 'open', closed_at = NULL, closed_by = NULL, reopened_at = now(), updated_at = now() WHERE id = $1`,
        [ticket.id],
      );
      await this.jobs.send('ticket.lifecycle', { ticketId: ticket.id, event: 'reopened', by: 'agent', agentName }, { tx: m });
      return { outcome: 'reopened', ticket: { ...ticket, status: 'open' } };
    });
    this.wakeIf(result.outcome === 'reopened', 'ticket.lifecycle');
    return result;
  }

  /**
   * An edited message, on either side: its copy on the other side is updated by a job. An edit of a
   * message the desk never recorded (a menu answer, a note) changes nothing.
   */
  async recordEdit(updateId: number, chatId: number, messageId: number, change: { text?: string; caption?: string; entities?: unknown[] }) {
    const result = await this.inTransaction(updateId, 'edit', async (m) => {
      const [row]: { id: string }[] = await m.query(`SELECT id FROM ticket_messages WHERE chat_id = $1 AND message_id = $2`, [chatId, messageId]);
      if (!row) return { outcome: 'unknown' as const };
      await m.query(`UPDATE ticket_messages SET text = $2, entities = $3 WHERE id = $1`, [
        row.id,
        change.text ?? change.caption ?? null,
        change.entities ? JSON.stringify(change.entities) : null,
      ]);
      await this.jobs.send('message.edit', { rowId: Number(row.id), ...change }, { tx: m });
      return { outcome: 'queued' as const };
    });
    this.wakeIf(result.outcome === 'queued', 'message.edit');
    return result;
  }

  /** The customer blocked (Telegram's my_chat_member "kicked", or a 403) or unblocked the bot. */
  async setBlocked(updateId: number | null, customerId: number, blocked: boolean): Promise<boolean> {
    const run = async (m: EntityManager) => {
      const changed = await updateReturning(
        m,
        blocked
          ? `UPDATE customers SET blocked_at = now() WHERE id = $1 AND blocked_at IS NULL RETURNING id`
          : `UPDATE customers SET blocked_at = NULL WHERE id = $1 AND blocked_at IS NOT NULL RETURNING id`,
        [customerId],
      );
      if (changed.length) await this.jobs.send('customer.reachability', { customerId, blocked }, { tx: m });
      return changed.length > 0;
    };
    const changed =
      updateId === null
        ? await this.dataSource.transaction(run)
        : await this.inTransaction(updateId, 'my_chat_member', async (m) => ({ outcome: (await run(m)) ? 'changed' : 'same' })).then(
            (r) => r.outcome === 'changed',
          );
    if (changed) {
      this.logger.log(`customer ${customerId} ${blocked ? 'blocked' : 'unblocked'} the bot`);
      this.jobs.wake('customer.reachability');
    }
    return changed;
  }

  private async close(m: EntityManager, ticket: Ticket, by: 'customer' | 'agent', agentName?: string): Promise<CloseResult> {
    const closed = await updateReturning(
      m,
      `UPDATE tickets SET status = 'closed', closed_at = now(), closed_by = $2, updated_at = now() WHERE id = $1 AND status = 'open' RETURNING id`,
      [ticket.id, by],
    );
    if (!closed.length) return { outcome: 'already' };
    await this.jobs.send('ticket.lifecycle', { ticketId: ticket.id, event: 'closed', by, agentName }, { tx: m });
    this.logger.log(`ticket #${ticket.id} closed by ${by === 'agent' ? `agent ${agentName}` : 'the customer'}`);
    return { outcome: 'closed', ticket: { ...ticket, status: 'closed' } };
  }

  private ticketOfThread(m: EntityManager, threadId: number): Promise<Ticket | null> {
    return m.getRepository(Ticket).findOneBy({ threadId });
  }

  private async inTransaction<T extends { outcome: string }>(
    updateId: number,
    kind: string,
    work: (m: EntityManager) => Promise<T>,
  ): Promise<T | { outcome: 'duplicate' }> {
    return this.dataSource.transaction(async (m) => {
      if (!(await claimUpdate(m, updateId, kind))) return { outcome: 'duplicate' as const };
      return work(m);
    });
  }

  private wakeIf(condition: boolean, job: JobName): void {
    if (condition) this.jobs.wake(job);
  }
}
