import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Language } from '../../config/app-config';
import { hydrate, returning } from '../../database/repositories/rows';
import type { Customer } from '../customer.entity';
import { teamAnswer } from './ticket-message.repository';
import { ClosedBy, Ticket } from '../ticket.entity';

/** A rating this low asks the customer what went wrong. */
export const LOW_RATING = 2;

/** The time of a ticket's last sign of life: its last message, its reopening, or its opening (kept on the row). */
const LAST_ACTIVITY = `t.last_activity_at`;
/**
 * The customer was warned of the automatic close since the ticket's last activity. Activity also clears
 * the mark (the sweep's clock is not the database's); the comparison voids marks older than that rule.
 */
const WARNING_PENDING = `t.auto_close_warned_at >= ${LAST_ACTIVITY}`;

/** An open ticket waiting for the team, with the time its customer has waited since the team last spoke. */
export interface WaitingTicket {
  id: number;
  threadId: number | null;
  title: string | null;
  category: string;
  subcategory: string | null;
  waitingSince: Date;
}

export interface IdleWarning {
  ticketId: number;
  customerId: number;
  language: Language;
  /** Seconds left before the ticket closes itself. */
  leftSeconds: number;
}

/**
 * `tickets`: lookups, the acknowledgement, and the only place a ticket's status changes (open, close,
 * reopen, closeIdle). Topic columns belong to the TopicRepository, AI columns to the AI's own.
 */
@Injectable()
export class TicketRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(id: number, db: EntityManager = this.dataSource.manager): Promise<Ticket | null> {
    return db.getRepository(Ticket).findOneBy({ id });
  }

  /** The ticket, if it belongs to this customer. */
  findOfCustomer(id: number, customerId: number, db: EntityManager = this.dataSource.manager): Promise<Ticket | null> {
    return db.getRepository(Ticket).findOneBy({ id, customerId });
  }

  async openOf(customerId: number, db: EntityManager = this.dataSource.manager): Promise<Ticket | null> {
    // Plain SQL: this lookup is on the path of every customer message.
    const [row] = (await db.query(`SELECT * FROM tickets WHERE customer_id = $1 AND status = 'open'`, [customerId])) as Record<string, unknown>[];
    return row ? hydrate(db, Ticket, row) : null;
  }

  /**
   * What intake needs to know of a customer's tickets, in one query: the open one, and how many they
   * opened within the last `withinSeconds` (MAX_TICKETS_PER_HOUR).
   */
  async intakeView(customerId: number, withinSeconds: number, db: EntityManager): Promise<{ open: Ticket | null; openedRecently: number }> {
    const [row] = (await db.query(
      `SELECT t.*, recent.n AS opened_recently
         FROM (SELECT count(*)::int AS n FROM tickets WHERE customer_id = $1 AND created_at > now() - make_interval(secs => $2)) recent
         LEFT JOIN tickets t ON t.customer_id = $1 AND t.status = 'open'`,
      [customerId, withinSeconds],
    )) as Record<string, unknown>[];
    return { open: row.id === null ? null : hydrate(db, Ticket, row), openedRecently: Number(row.opened_recently) };
  }

  /** The ticket whose topic is `threadId` in the group `groupId` (thread ids repeat across groups). */
  ofThread(groupId: number, threadId: number, db: EntityManager = this.dataSource.manager): Promise<Ticket | null> {
    return db.getRepository(Ticket).findOneBy({ groupId, threadId });
  }

  /** Open tickets per group, for routing a new ticket (the fewest open wins a tie). */
  async openCountsByGroup(db: EntityManager = this.dataSource.manager): Promise<Map<number, number>> {
    const rows: { group_id: string; n: number }[] = await db.query(
      `SELECT group_id, count(*)::int AS n FROM tickets WHERE status = 'open' AND group_id IS NOT NULL GROUP BY group_id`,
    );
    return new Map(rows.map((row) => [Number(row.group_id), row.n]));
  }

  /** Tickets from before several groups (no group recorded) belong to the first configured group. */
  async adoptGroupless(groupId: number): Promise<number> {
    const [, count] = (await this.dataSource.query(`UPDATE tickets SET group_id = $1 WHERE group_id IS NULL`, [groupId])) as [unknown, number];
    return count;
  }

  /** The customer's ticket closed within the last `windowMs`, newest first. */
  recentlyClosed(customerId: number, windowMs: number, db: EntityManager = this.dataSource.manager): Promise<Ticket | null> {
    return db
      .getRepository(Ticket)
      .createQueryBuilder('t')
      .where(`t.customer_id = :customerId AND t.status = 'closed' AND t.closed_at > now() - make_interval(secs => :seconds)`, {
        customerId,
        seconds: windowMs / 1000,
      })
      .orderBy('t.closed_at', 'DESC')
      .getOne();
  }

  /**
   * Opens a ticket for the customer's chosen category. The partial unique index (one open ticket per
   * customer) decides a race between two messages or two instances: the loser gets the winner's ticket
   * and `created: false`.
   */
  async open(customer: Customer, groupId: number, db: EntityManager = this.dataSource.manager): Promise<{ ticket: Ticket; created: boolean }> {
    const [inserted] = (await db.query(
      `INSERT INTO tickets (customer_id, language, category, subcategory, group_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (customer_id) WHERE status = 'open' DO NOTHING RETURNING *`,
      [customer.id, customer.language, customer.category, customer.subcategory, groupId],
    )) as Record<string, unknown>[];
    if (inserted) return { ticket: hydrate(db, Ticket, inserted), created: true };
    const ticket = await this.openOf(customer.id, db);
    if (!ticket) throw new Error(`customer ${customer.id}: no open ticket after insert`);
    return { ticket, created: false };
  }

  /** Closes an open ticket; false when it was not open. */
  async close(id: number, by: ClosedBy, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const closed = await returning(
      db,
      `UPDATE tickets SET status = 'closed', closed_at = now(), closed_by = $2, updated_at = now() WHERE id = $1 AND status = 'open' RETURNING id`,
      [id, by],
    );
    return closed.length > 0;
  }

  /**
   * Reopens a closed ticket; false when it was not closed (two agents reopening at once: one wins). The
   * caller holds the customer's row lock (CustomerRepository.lock), so no other ticket of the customer
   * opens meanwhile and the one-open-ticket index cannot be violated.
   */
  async reopen(id: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const reopened = await returning(
      db,
      `UPDATE tickets SET status = 'open', closed_at = NULL, closed_by = NULL, reopened_at = now(), last_activity_at = now(),
              auto_close_warned_at = NULL, updated_at = now()
        WHERE id = $1 AND status = 'closed' RETURNING id`,
      [id],
    );
    return reopened.length > 0;
  }

  /**
   * Closes every open ticket the team answered last that has been idle for `afterSeconds` at `now` and
   * whose customer was warned since its last activity, at least `noticeSeconds` before `now` (after a
   * downtime the close does not follow the warning at once); returns their ids. A ticket waiting for the
   * team never closes by itself. Conditional: each closes once, whichever instance sweeps. `now` is the
   * sweep's clock, not the database's, so tests move it instead of backdating rows.
   */
  async closeIdle(afterSeconds: number, noticeSeconds: number, now: Date, db: EntityManager = this.dataSource.manager): Promise<number[]> {
    const rows = await returning<{ id: string }>(
      db,
      `UPDATE tickets t SET status = 'closed', closed_at = $3, closed_by = 'auto', updated_at = now()
        WHERE t.status = 'open' AND t.last_speaker = 'agent' AND ${LAST_ACTIVITY} <= $3::timestamptz - make_interval(secs => $1)
          AND ${WARNING_PENDING} AND t.auto_close_warned_at <= $3::timestamptz - make_interval(secs => $2)
        RETURNING t.id`,
      [afterSeconds, noticeSeconds, now],
    );
    return rows.map((row) => Number(row.id));
  }

  /**
   * Claims, at `now`, the idle-close warning of every open ticket the team answered last, idle for
   * `warnAtSeconds` and not warned since its last activity. It closes `afterSeconds` after that activity,
   * but never sooner than `noticeSeconds` after the warning (see closeIdle): the time left says so.
   */
  async claimIdleWarnings(warnAtSeconds: number, afterSeconds: number, noticeSeconds: number, now: Date): Promise<IdleWarning[]> {
    const rows = await returning<{ id: string; customer_id: string; language: Language; left_s: number }>(
      this.dataSource.manager,
      `UPDATE tickets t SET auto_close_warned_at = $4
        WHERE t.status = 'open' AND t.last_speaker = 'agent' AND ${LAST_ACTIVITY} <= $4::timestamptz - make_interval(secs => $1)
          AND NOT COALESCE(${WARNING_PENDING}, false)
        RETURNING t.id, t.customer_id, t.language, GREATEST($2 - EXTRACT(EPOCH FROM ($4::timestamptz - ${LAST_ACTIVITY})), $3) AS left_s`,
      [warnAtSeconds, afterSeconds, noticeSeconds, now],
    );
    return rows.map((r) => ({ ticketId: Number(r.id), customerId: Number(r.customer_id), language: r.language, leftSeconds: Number(r.left_s) }));
  }

  /** The warning claimed at `warnedAt` did not reach the customer: no close follows it, the next sweep warns again. */
  async withdrawIdleWarning(ticketId: number, warnedAt: Date): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET auto_close_warned_at = NULL WHERE id = $1 AND auto_close_warned_at = $2`, [ticketId, warnedAt]);
  }

  /**
   * The customer pressed "I still need help" on a pending warning: the close is off, and the ticket
   * waits for the team again (the customer spoke last: /open lists it, its icon says "waiting"). False
   * when no warning is pending on their open ticket (pressed twice, or the team answered since).
   */
  async keepOpen(ticketId: number, customerId: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = await returning(
      db,
      `UPDATE tickets t SET last_speaker = 'customer', last_activity_at = now(), auto_close_warned_at = NULL, updated_at = now()
        WHERE t.id = $1 AND t.customer_id = $2 AND t.status = 'open' AND ${WARNING_PENDING} RETURNING t.id`,
      [ticketId, customerId],
    );
    return rows.length > 0;
  }

  /**
   * Open tickets waiting for the team (the customer spoke last), the longest-waiting first: waiting
   * since the first customer message after the team's latest answer (else "I still need help", or the
   * opening). One page, and the total.
   */
  async waiting(limit: number, offset: number, groupId?: number): Promise<{ total: number; tickets: WaitingTicket[] }> {
    const rows: { id: string; thread_id: number | null; title: string | null; category: string; subcategory: string | null; waiting_since: Date; total: string }[] =
      await this.dataSource.query(
        `WITH waiting AS (
           SELECT t.id, t.thread_id, t.title, t.category, t.subcategory,
                  COALESCE((SELECT min(m.created_at) FROM ticket_messages m
                             WHERE m.ticket_id = t.id AND m.direction = 'customer'
                               AND m.id > COALESCE((SELECT max(a.id) FROM ticket_messages a WHERE a.ticket_id = t.id AND ${teamAnswer('a')}), 0)),
                           CASE WHEN t.last_speaker = 'customer' THEN t.last_activity_at END, t.reopened_at, t.created_at) AS waiting_since
             FROM tickets t WHERE t.status = 'open' AND t.last_speaker IS DISTINCT FROM 'agent' AND ($3::bigint IS NULL OR t.group_id = $3))
         SELECT *, count(*) OVER () AS total FROM waiting ORDER BY waiting_since, id LIMIT $1 OFFSET $2`,
        [limit, offset, groupId ?? null],
      );
    const total = rows.length ? Number(rows[0].total) : Number((await this.dataSource.query(
      `SELECT count(*) AS n FROM tickets WHERE status = 'open' AND last_speaker IS DISTINCT FROM 'agent' AND ($1::bigint IS NULL OR group_id = $1)`,
      [groupId ?? null],
    ))[0].n);
    return {
      total,
      tickets: rows.map((r) => ({ id: Number(r.id), threadId: r.thread_id, title: r.title, category: r.category, subcategory: r.subcategory, waitingSince: new Date(r.waiting_since) })),
    };
  }

  /** The team answered other than by a message in the topic (a ready answer, a sent AI draft): the agent spoke last. */
  async markTeamAnswered(ticketId: number, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(`UPDATE tickets SET last_speaker = 'agent', last_activity_at = now(), auto_close_warned_at = NULL WHERE id = $1`, [ticketId]);
  }

  /** The customer's rating of their closed ticket; false when it is not theirs, not closed, or already rated. */
  async rate(ticketId: number, customerId: number, rating: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = await returning(
      db,
      `UPDATE tickets SET rating = $3, rated_at = now() WHERE id = $1 AND customer_id = $2 AND status = 'closed' AND rating IS NULL RETURNING id`,
      [ticketId, customerId, rating],
    );
    return rows.length > 0;
  }

  /**
   * The customer's closed ticket rated low (≤ LOW_RATING) in the last `withinSeconds` and not yet
   * commented on: their next text is the comment it asked for.
   */
  async awaitingComment(customerId: number, withinSeconds: number, db: EntityManager = this.dataSource.manager): Promise<Ticket | null> {
    const [row]: { id: string }[] = await db.query(
      `SELECT id FROM tickets WHERE customer_id = $1 AND status = 'closed' AND rating <= ${LOW_RATING} AND rating_comment IS NULL
          AND rated_at > now() - make_interval(secs => $2) ORDER BY rated_at DESC LIMIT 1`,
      [customerId, withinSeconds],
    );
    return row ? db.findOneBy(Ticket, { id: Number(row.id) }) : null;
  }

  async recordComment(ticketId: number, comment: string, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows = await returning(db, `UPDATE tickets SET rating_comment = $2 WHERE id = $1 AND rating_comment IS NULL RETURNING id`, [ticketId, comment]);
    return rows.length > 0;
  }

  /** How many tickets the customer had before this one, and the latest rating they gave. */
  async historyOf(customerId: number, beforeTicketId: number): Promise<{ tickets: number; lastRating: number | null }> {
    const [row]: { tickets: string; last_rating: number | null }[] = await this.dataSource.query(
      `SELECT count(*) AS tickets,
              (SELECT rating FROM tickets r WHERE r.customer_id = $1 AND r.id < $2 AND r.rating IS NOT NULL ORDER BY r.rated_at DESC LIMIT 1) AS last_rating
         FROM tickets WHERE customer_id = $1 AND id < $2`,
      [customerId, beforeTicketId],
    );
    return { tickets: Number(row?.tickets ?? 0), lastRating: row?.last_rating ?? null };
  }

  /** The acknowledgement went out as `messageId` (0: it cannot be, the customer blocked the bot). Recorded once. */
  async recordAck(id: number, messageId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ack_message_id = $2 WHERE id = $1 AND ack_message_id IS NULL`, [id, messageId]);
  }

  /** An acknowledgement is about to be requested: until its result is recorded, its outcome is unknown. */
  async markAckStarted(id: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ack_started_at = now() WHERE id = $1`, [id]);
  }

  /** Telegram answered the acknowledgement with an error: nothing was sent, the next attempt is no repeat. */
  async clearAckStarted(id: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET ack_started_at = NULL WHERE id = $1`, [id]);
  }

  /** Tickets older than `minAgeSeconds` whose acknowledgement was never recorded (a crash between COMMIT and the send). */
  async unacknowledged(minAgeSeconds: number, limit: number, skip: number[] = []): Promise<number[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM tickets WHERE ack_message_id IS NULL AND created_at < now() - make_interval(secs => $1) AND id <> ALL($3::bigint[]) LIMIT $2`,
      [minAgeSeconds, limit, skip],
    );
    return rows.map((row) => Number(row.id));
  }

  /** The thread of the customer's open ticket, or else of their latest one that has a topic. */
  async latestThreadOf(customerId: number): Promise<{ groupId: number; threadId: number } | null> {
    const [row]: { group_id: string; thread_id: number }[] = await this.dataSource.query(
      `SELECT group_id, thread_id FROM tickets WHERE customer_id = $1 AND thread_id IS NOT NULL ORDER BY (status = 'open') DESC, id DESC LIMIT 1`,
      [customerId],
    );
    return row ? { groupId: Number(row.group_id), threadId: row.thread_id } : null;
  }
}
