import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a topic or a copy was requested from Telegram: an attempt without a recorded result is one whose
 * outcome a crash hid. The topic case is resolved by adopting the topic when its service message
 * arrives; the copy case is retried (a customer message is never dropped) and counted as a possible duplicate.
 */
export class DeliveryBookkeeping1764000100000 implements MigrationInterface {
  name = 'DeliveryBookkeeping1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN topic_requested_at timestamptz`);
    await q.query(`ALTER TABLE tickets ADD COLUMN duplicate_topics integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN copy_started_at timestamptz`);
    await q.query(`CREATE INDEX tickets_unacknowledged ON tickets (created_at) WHERE ack_message_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_unacknowledged`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN copy_started_at`);
    await q.query(`ALTER TABLE tickets DROP COLUMN duplicate_topics`);
    await q.query(`ALTER TABLE tickets DROP COLUMN topic_requested_at`);
  }
}
