import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returning } from '../../database/repositories/rows';

/**
 * The topic columns of `tickets`: the forum topic, its card, and the bookkeeping that keeps a crash from
 * creating a topic twice (`topic_requested_at`, `topic_attempts`, `duplicate_topics`).
 */
@Injectable()
export class TopicRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Recorded before createForumTopic: if the process dies before the result is stored, the next attempt
   * knows a topic may exist and waits for Telegram to announce it.
   */
  async markRequested(ticketId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET topic_attempts = topic_attempts + 1, topic_requested_at = now() WHERE id = $1`, [ticketId]);
  }

  /** Telegram answered with an error: no topic was created, so there is nothing to wait for next time. */
  async clearRequest(ticketId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET topic_requested_at = NULL WHERE id = $1`, [ticketId]);
  }

  /** Stores the created topic; false when another topic of the ticket was recorded (adopted) meanwhile. */
  async recordCreated(ticketId: number, threadId: number, name: string): Promise<boolean> {
    const stored = await returning(
      this.dataSource.manager,
      `UPDATE tickets SET thread_id = $2, title = $3, topic_requested_at = NULL, updated_at = now()
        WHERE id = $1 AND (thread_id IS NULL OR thread_id = $2) RETURNING id`,
      [ticketId, threadId, name],
    );
    return stored.length > 0;
  }

  /**
   * Adopts a topic Telegram announced for a ticket that has none recorded but asked for one. Null when
   * nothing was adopted; `stale` when the request is old (made before a restart), so no sync job is
   * creating this very topic now.
   */
  async adopt(ticketId: number, groupId: number, threadId: number, name: string): Promise<{ stale: boolean } | null> {
    const [adopted] = await returning<{ stale: boolean }>(
      this.dataSource.manager,
      `UPDATE tickets SET thread_id = $2, title = $3, topic_requested_at = NULL, updated_at = now()
        WHERE id = $1 AND group_id = $4 AND thread_id IS NULL AND topic_attempts > 0
        RETURNING (SELECT topic_requested_at < now() - interval '10 seconds' FROM tickets WHERE id = $1) AS stale`,
      [ticketId, threadId, name, groupId],
    );
    return adopted ?? null;
  }

  async countDuplicate(ticketId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET duplicate_topics = duplicate_topics + 1 WHERE id = $1`, [ticketId]);
  }

  async recordCard(ticketId: number, messageId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET card_message_id = $2 WHERE id = $1`, [ticketId, messageId]);
  }

  /** The card went out carrying the customer's message `rowId` (one group message for both): both recorded at once. */
  async recordCardWithCopy(ticketId: number, rowId: number, messageId: number): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      await db.query(`UPDATE tickets SET card_message_id = $2 WHERE id = $1`, [ticketId, messageId]);
      await db.query(`UPDATE ticket_messages SET copy_message_id = $2, copied_at = now() WHERE id = $1`, [rowId, messageId]);
    });
  }

  /**
   * Open tickets whose topic icon does not show their status (two jobs crossed: an answer's and a new
   * message's), quiet for `minAgeSeconds`: the sweeper has their sync set it right.
   */
  async iconStale(minAgeSeconds: number, limit: number, skip: number[] = []): Promise<number[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM tickets
        WHERE status = 'open' AND thread_id IS NOT NULL AND topic_icon IS NOT NULL
          AND topic_icon IS DISTINCT FROM (CASE WHEN last_speaker = 'agent' THEN 'answered' ELSE 'waiting' END)
          AND last_activity_at < now() - make_interval(secs => $1) AND id <> ALL($3::bigint[])
        LIMIT $2`,
      [minAgeSeconds, limit, skip],
    );
    return rows.map((row) => Number(row.id));
  }

  /** The topic's icon now shows `status`. */
  async recordIcon(ticketId: number, status: string): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET topic_icon = $2 WHERE id = $1`, [ticketId, status]);
  }

  /** The topic was deleted: the ticket has none until a new one is created. */
  async forget(ticketId: number): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET thread_id = NULL, card_message_id = NULL, topic_icon = NULL WHERE id = $1`, [ticketId]);
  }

  /** The topic was renamed to `title`, if it is still the topic `threadId`. */
  async recordTitle(ticketId: number, threadId: number, title: string): Promise<void> {
    await this.dataSource.query(`UPDATE tickets SET title = $2, updated_at = now() WHERE id = $1 AND thread_id = $3`, [ticketId, title, threadId]);
  }

  /** Tickets older than `minAgeSeconds` still without a topic or card. */
  async withoutTopic(minAgeSeconds: number, limit: number, skip: number[] = []): Promise<number[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM tickets WHERE (thread_id IS NULL OR card_message_id IS NULL) AND created_at < now() - make_interval(secs => $1)
          AND id <> ALL($3::bigint[]) LIMIT $2`,
      [minAgeSeconds, limit, skip],
    );
    return rows.map((row) => Number(row.id));
  }

  /** The ticket still lacks its topic or card, or has customer messages not yet copied into the topic. */
  async syncPending(ticketId: number): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM tickets t WHERE t.id = $1 AND (t.thread_id IS NULL OR t.card_message_id IS NULL OR EXISTS (
         SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.direction = 'customer' AND m.copied_at IS NULL AND m.failed_reason IS NULL))`,
      [ticketId],
    );
    return rows.length > 0;
  }
}
