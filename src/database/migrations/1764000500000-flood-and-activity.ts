import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flood safety and cheaper scans: when a customer was last shown the greeting and the "choose a topic"
 * prompt (each at most once per few seconds), how many messages written before choosing a topic were
 * not kept (the reminder of an open ticket likewise), a ticket's last activity kept on the row (auto-close reads it instead of scanning every
 * message), and an index for reading a ticket's messages in order.
 */
export class FloodAndActivity1764000500000 implements MigrationInterface {
  name = 'FloodAndActivity1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers ADD COLUMN greeted_at timestamptz`);
    await q.query(`ALTER TABLE customers ADD COLUMN reminded_at timestamptz`);
    await q.query(`ALTER TABLE customers ADD COLUMN prompted_at timestamptz`);
    await q.query(`ALTER TABLE customers ADD COLUMN draft_dropped integer NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id)`);
    await q.query(`ALTER TABLE tickets ADD COLUMN last_activity_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`
      UPDATE tickets t SET last_activity_at = GREATEST(t.created_at, COALESCE(t.reopened_at, t.created_at),
        COALESCE((SELECT max(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id), t.created_at))`);
    await q.query(`CREATE INDEX tickets_open_activity ON tickets (last_activity_at) WHERE status = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_open_activity`);
    await q.query(`ALTER TABLE tickets DROP COLUMN last_activity_at`);
    await q.query(`DROP INDEX ticket_messages_ticket`);
    await q.query(`ALTER TABLE customers DROP COLUMN draft_dropped`);
    await q.query(`ALTER TABLE customers DROP COLUMN prompted_at`);
    await q.query(`ALTER TABLE customers DROP COLUMN reminded_at`);
    await q.query(`ALTER TABLE customers DROP COLUMN greeted_at`);
  }
}
