import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable inbox: every Telegram update is stored, raw, before it is confirmed to Telegram (the
 * polling offset advances, or the webhook answers 2xx), and handled from here, per chat in order, with
 * retries. An update that keeps failing for a reason other than the infrastructure is parked.
 */
export class Inbox1764000400000 implements MigrationInterface {
  name = 'Inbox1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE telegram_inbox (
        update_id       bigint PRIMARY KEY,
        chat_key        text NOT NULL,
        payload         jsonb NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now(),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        leased_until    timestamptz,
        handled_at      timestamptz,
        parked_at       timestamptz,
        last_error      text
      )`);
    // What is still to be handled, per chat in update order (the redrive loop and the ordering check).
    await q.query(`CREATE INDEX telegram_inbox_pending ON telegram_inbox (chat_key, update_id) WHERE handled_at IS NULL AND parked_at IS NULL`);
    await q.query(`CREATE INDEX telegram_inbox_due ON telegram_inbox (next_attempt_at) WHERE handled_at IS NULL AND parked_at IS NULL`);
    await q.query(`CREATE INDEX telegram_inbox_handled ON telegram_inbox (handled_at) WHERE handled_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE telegram_inbox`);
  }
}
