import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data retention (UPDATE_RETENTION, TICKET_RETENTION): indexes that find what is old enough to go, and
 * when a ticket's texts were deleted. A ticket reopened and closed again after that has a later
 * closed_at, so its new texts are due in their turn.
 */
export class Retention1764001500000 implements MigrationInterface {
  name = 'Retention1764001500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX telegram_updates_received ON telegram_updates (received_at)`);
    await q.query(`CREATE INDEX telegram_inbox_parked ON telegram_inbox (parked_at) WHERE parked_at IS NOT NULL`);
    await q.query(`ALTER TABLE tickets ADD COLUMN texts_deleted_at timestamptz`);
    await q.query(
      `CREATE INDEX tickets_texts_due ON tickets (closed_at) WHERE status = 'closed' AND (texts_deleted_at IS NULL OR texts_deleted_at < closed_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_texts_due`);
    await q.query(`ALTER TABLE tickets DROP COLUMN texts_deleted_at`);
    await q.query(`DROP INDEX telegram_inbox_parked`);
    await q.query(`DROP INDEX telegram_updates_received`);
  }
}
