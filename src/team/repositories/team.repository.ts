import { Injectable } from '@nestjs/common';
import type { MessageEntity } from 'telegraf/types';
import { DataSource, EntityManager } from 'typeorm';
import { teamAnswer } from '../../tickets/repositories/ticket-message.repository';

/** What the card message carries after the card: the customer's first message, when it rode along. */
export interface CardPassenger {
  kind: string;
  text: string | null;
  entities: MessageEntity[] | null;
}

/** Ownership of tickets, the first-response reminder, and the "not on the team" notices. */
@Injectable()
export class TeamRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Sets (or clears, with null) the ticket's assignee; false when it already was that. */
  async assign(ticketId: number, agent: { id: number; name: string } | null, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const [rows] = (await db.query(
      `UPDATE tickets SET assignee_id = $2, assignee_name = $3 WHERE id = $1 AND assignee_id IS DISTINCT FROM $2::bigint RETURNING id`,
      [ticketId, agent?.id ?? null, agent?.name ?? null],
    )) as [unknown[], number];
    return rows.length > 0;
  }

  /** True the first time this person is noted in this ticket's topic. */
  async claimOutsiderNotice(ticketId: number, userId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO outsider_notices (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING ticket_id`,
      [ticketId, userId],
    );
    return rows.length > 0;
  }

  /**
   * Open tickets created at least `slaSeconds` before `now` that the team has not answered (no agent
   * message, ready answer or sent AI draft; an automatic AI answer does not count) and that were not
   * reminded of yet, marked as reminded at `now`. A ticket the team answered by a ready answer still
   * being sent (the agent spoke last) waits for no one. The conditional UPDATE lets one instance win
   * each reminder.
   */
  async claimSlaDue(slaSeconds: number, now: Date, db: EntityManager): Promise<number[]> {
    const result = (await db.query(
      `UPDATE tickets t SET sla_reminded_at = $2
        WHERE t.status = 'open' AND t.sla_reminded_at IS NULL AND t.created_at <= $2::timestamptz - make_interval(secs => $1)
          AND t.last_speaker IS DISTINCT FROM 'agent'
          AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND ${teamAnswer('m')})
        RETURNING t.id`,
      [slaSeconds, now],
    )) as [{ id: string }[], number];
    return result[0].map((row) => Number(row.id));
  }

  async cardPassenger(ticketId: number, cardMessageId: number): Promise<CardPassenger | null> {
    const rows: { kind: string; text: string | null; entities: MessageEntity[] | null }[] = await this.dataSource.query(
      `SELECT kind, text, entities FROM ticket_messages WHERE ticket_id = $1 AND direction = 'customer' AND copy_message_id = $2 LIMIT 1`,
      [ticketId, cardMessageId],
    );
    return rows[0] ?? null;
  }
}
