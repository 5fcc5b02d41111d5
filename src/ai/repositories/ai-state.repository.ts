import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { hydrate, returning } from '../../database/repositories/rows';
import { teamAnswer } from '../../tickets/repositories/ticket-message.repository';
import { AiAnswerState, Ticket } from '../../tickets/ticket.entity';

/** The team has not answered the ticket (a message, a ready answer): the AI never answers after an agent did. */
const NO_AGENT_YET = `NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND ${teamAnswer('m')})`;

/**
 * The AI columns of `tickets`: the title, and the first answer's state machine. The answer moves only
 * forward, by conditional UPDATEs, one method per transition, so "once per ticket" needs no lock.
 */
@Injectable()
export class AiStateRepository {
  constructor(private readonly dataSource: DataSource) {}

  load(ticketId: number): Promise<Ticket | null> {
    return this.dataSource.getRepository(Ticket).findOneBy({ id: ticketId });
  }

  // ------------------------------------------------------------------ the title

  /** Stores the title job's result once (null: no usable title, the provisional one stays). */
  async storeTitle(ticketId: number, title: string | null): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ai_title = $2, ai_title_state = $3 WHERE id = $1 AND ai_title_state IS NULL`, [
      ticketId,
      title,
      title ? 'ready' : 'failed',
    ]);
  }

  // ------------------------------------------------------------------ the first answer

  /** The model answered and the knowledge covers it: null → ready. */
  async answerReady(ticketId: number, answer: string): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ai_answer = $2, ai_answer_state = 'ready' WHERE id = $1 AND ai_answer_state IS NULL`, [ticketId, answer]);
  }

  /** There will be no answer: null → skipped | uncovered | failed. */
  async noAnswer(ticketId: number, state: 'skipped' | 'uncovered' | 'failed', answer: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE tickets SET ai_answer_state = $2, ai_answer = $3, ai_answer_decided_at = now() WHERE id = $1 AND ai_answer_state IS NULL`,
      [ticketId, state, answer],
    );
  }

  /** ready → drafted, before the draft is posted: an agent may click its buttons the moment it appears. */
  async claimDraft(ticketId: number): Promise<boolean> {
    return (await returning(this.dataSource.manager, `UPDATE tickets SET ai_answer_state = 'drafted' WHERE id = $1 AND ai_answer_state = 'ready' RETURNING id`, [ticketId]))
      .length > 0;
  }

  /** The draft could not be posted: drafted → ready, for the job's retry. */
  async unclaimDraft(ticketId: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE tickets SET ai_answer_state = 'ready' WHERE id = $1 AND ai_answer_state = 'drafted' AND ai_draft_message_id IS NULL`,
      [ticketId],
    );
  }

  async recordDraft(ticketId: number, messageId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ai_draft_message_id = $2 WHERE id = $1`, [ticketId, messageId]);
  }

  /**
   * `from` → sending, only while the ticket is open and no agent has answered: the last check for an
   * agent's answer is part of the claim itself. Returns the ticket as claimed, or null.
   */
  async claimSend(ticketId: number, from: 'ready' | 'drafted'): Promise<Ticket | null> {
    const [row] = await returning(
      this.dataSource.manager,
      `UPDATE tickets t SET ai_answer_state = 'sending'
        WHERE t.id = $1 AND t.ai_answer_state = $2 AND t.status = 'open' AND ${NO_AGENT_YET}
        RETURNING t.*`,
      [ticketId, from],
    );
    return row ? hydrate(this.dataSource.manager, Ticket, row) : null;
  }

  /** The send failed in a way worth trying again: sending → `to`. */
  async unclaimSend(ticketId: number, to: 'ready' | 'drafted'): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ai_answer_state = $2 WHERE id = $1 AND ai_answer_state = 'sending'`, [ticketId, to]);
  }

  /** sending → sent; `agent` is who sent a draft (null for an automatic answer). */
  async recordSent(ticketId: number, messageId: number, agent: string | null, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(
      `UPDATE tickets SET ai_answer_state = 'sent', ai_answer_message_id = $2, ai_answer_decided_by = coalesce($3, ai_answer_decided_by),
              ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = 'sending'`,
      [ticketId, messageId, agent],
    );
  }

  /** drafted → discarded by an agent. Returns the ticket as discarded, or null. */
  async discard(ticketId: number, agent: string): Promise<Ticket | null> {
    const [row] = await returning(
      this.dataSource.manager,
      `UPDATE tickets SET ai_answer_state = 'discarded', ai_answer_decided_by = $2, ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = 'drafted' RETURNING *`,
      [ticketId, agent],
    );
    return row ? hydrate(this.dataSource.manager, Ticket, row) : null;
  }

  /** A final state reached otherwise (an agent answered first, the customer is unreachable): `from` → `to`. */
  async settle(ticketId: number, from: AiAnswerState, to: 'skipped' | 'failed', agent: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE tickets SET ai_answer_state = $3, ai_answer_decided_by = coalesce($4, ai_answer_decided_by), ai_answer_decided_at = now()
        WHERE id = $1 AND ai_answer_state = $2`,
      [ticketId, from, to, agent],
    );
  }

  async recordMirror(ticketId: number, messageId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ai_mirror_message_id = $2 WHERE id = $1`, [ticketId, messageId]);
  }
}
