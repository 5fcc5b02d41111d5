import { Injectable } from '@nestjs/common';
import type { Update } from 'telegraf/types';
import { DataSource } from 'typeorm';
import { returning } from '../../database/repositories/rows';

export interface StoredUpdate {
  updateId: number;
  /** Older updates of the same chat still to be handled: this one must not be handled before them. */
  olderPending: number[];
}

export interface DueUpdate {
  update: Update;
  attempts: number;
  receivedAt: Date;
}

/** Unhandled, unparked rows (of the table alias `t`). */
const pending = (t: string) => `${t}.handled_at IS NULL AND ${t}.parked_at IS NULL`;

/**
 * `telegram_inbox`: every update, raw, stored before it is confirmed to Telegram, and its handling state
 * (handled and parked rows are deleted after UPDATE_RETENTION, see RetentionRepository).
 * A lease (`leased_until`) says an instance is handling the row; an expired lease (a crash, a lost
 * connection) makes it due again, for any instance.
 */
@Injectable()
export class InboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores updates not seen before, leased to the caller for `leaseSeconds`, and returns them. A
   * redelivered update is not returned: it is handled (or will be) from its first copy. `json`: the
   * payload already serialised, when the caller has it.
   */
  async store(updates: { updateId: number; chatKey: string; payload: Update; json?: string }[], leaseSeconds: number): Promise<StoredUpdate[]> {
    if (!updates.length) return [];
    // The outer SELECT sees the table as it was before this INSERT: batch-mates are not each other's "older".
    const rows: { update_id: string; older_pending: string[] }[] = await this.dataSource.query(
      `WITH incoming AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) AS u(update_id, chat_key, payload)
       ), inserted AS (
         INSERT INTO telegram_inbox (update_id, chat_key, payload, leased_until)
         SELECT update_id, chat_key, payload, now() + make_interval(secs => $4) FROM incoming
         ON CONFLICT (update_id) DO NOTHING
         RETURNING update_id, chat_key
       )
       SELECT i.update_id, ARRAY(
         SELECT o.update_id FROM telegram_inbox o WHERE o.chat_key = i.chat_key AND o.update_id < i.update_id AND ${pending('o')}
       ) AS older_pending
       FROM inserted i ORDER BY i.update_id`,
      [updates.map((u) => u.updateId), updates.map((u) => u.chatKey), updates.map((u) => u.json ?? JSON.stringify(u.payload)), leaseSeconds],
    );
    return rows.map((row) => ({ updateId: Number(row.update_id), olderPending: row.older_pending.map(Number) }));
  }

  /**
   * Whether an update of `chatKey` that carries an item of the album `mediaGroupId` is stored but not
   * handled yet: Telegram has delivered more of the album than the tickets hold so far.
   */
  async holdsAlbumItem(chatKey: string, mediaGroupId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM telegram_inbox t WHERE t.chat_key = $1 AND ${pending('t')} AND t.payload->'message'->>'media_group_id' = $2 LIMIT 1`,
      [chatKey, mediaGroupId],
    );
    return rows.length > 0;
  }

  async markHandled(updateIds: number[]): Promise<void> {
    await this.dataSource.query(`UPDATE telegram_inbox SET handled_at = now(), leased_until = NULL WHERE update_id = ANY($1::bigint[])`, [updateIds]);
  }

  /** Extends the leases of the updates an instance still holds. */
  async renew(updateIds: number[], leaseSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE telegram_inbox SET leased_until = now() + make_interval(secs => $2) WHERE update_id = ANY($1::bigint[]) AND ${pending('telegram_inbox')}`,
      [updateIds, leaseSeconds],
    );
  }

  /** Gives the row back at once (it waits behind an older update of its chat): the redrive takes it in order. */
  async release(updateId: number): Promise<void> {
    await this.dataSource.query(`UPDATE telegram_inbox SET leased_until = NULL WHERE update_id = $1 AND ${pending('telegram_inbox')}`, [updateId]);
  }

  /** A failed attempt: due again after `retryInSeconds`, or parked for good. */
  async recordFailure(updateId: number, error: string, park: boolean, retryInSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE telegram_inbox SET attempts = attempts + 1, last_error = $2, leased_until = NULL,
              next_attempt_at = now() + make_interval(secs => $4), parked_at = CASE WHEN $3 THEN now() END
        WHERE update_id = $1`,
      [updateId, error.slice(0, 2000), park, retryInSeconds],
    );
  }

  /**
   * Leases up to `limit` due updates, each the oldest still pending of its chat (so a chat's updates are
   * handled in order, across instances), optionally of one chat only.
   */
  async claimDue(limit: number, leaseSeconds: number, chatKey?: string): Promise<DueUpdate[]> {
    const rows = await returning<{ payload: Update; attempts: number; received_at: Date }>(
      this.dataSource.manager,
      `UPDATE telegram_inbox SET leased_until = now() + make_interval(secs => $2)
        WHERE update_id IN (
          SELECT i.update_id FROM telegram_inbox i
           WHERE ${pending('i')} AND i.next_attempt_at <= now()
             AND (i.leased_until IS NULL OR i.leased_until < now())
             AND ($3::text IS NULL OR i.chat_key = $3)
             AND NOT EXISTS (SELECT 1 FROM telegram_inbox o
                              WHERE o.chat_key = i.chat_key AND o.update_id < i.update_id AND ${pending('o')})
           ORDER BY i.update_id LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING payload, attempts, received_at`,
      [limit, leaseSeconds, chatKey ?? null],
    );
    return rows.map((row) => ({ update: row.payload, attempts: row.attempts, receivedAt: new Date(row.received_at) })).sort((a, b) => a.update.update_id - b.update.update_id);
  }
}
