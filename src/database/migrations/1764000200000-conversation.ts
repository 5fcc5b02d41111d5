import { MigrationInterface, QueryRunner } from 'typeorm';

/** Two-way conversation: agent messages, closing and reopening, and messages that cannot be delivered. */
export class Conversation1764000200000 implements MigrationInterface {
  name = 'Conversation1764000200000';

  async up(q: QueryRunner): Promise<void> {
    // Why a message will not be delivered (the customer blocked the bot, Telegram refuses to copy it).
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN failed_reason text`);
    // What the message replied to (an id in its own chat), its formatting, and who wrote it (agents).
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN reply_to_message_id integer`);
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN entities jsonb`);
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN author_name text`);
    // A reply in either chat is mapped to the other side through the copy's id.
    await q.query(`CREATE INDEX ticket_messages_copy ON ticket_messages (ticket_id, copy_message_id) WHERE copy_message_id IS NOT NULL`);
    await q.query(`DROP INDEX ticket_messages_pending`);
    await q.query(
      `CREATE INDEX ticket_messages_pending ON ticket_messages (ticket_id, direction, id) WHERE copied_at IS NULL AND failed_reason IS NULL`,
    );
    await q.query(`ALTER TABLE tickets ADD COLUMN closed_by text CHECK (closed_by IN ('customer', 'agent', 'auto'))`);
    await q.query(`ALTER TABLE tickets ADD COLUMN reopened_at timestamptz`);
    // When the customer was told that the idle ticket will close soon.
    await q.query(`ALTER TABLE tickets ADD COLUMN auto_close_warned_at timestamptz`);
    await q.query(`CREATE INDEX tickets_recently_closed ON tickets (customer_id, closed_at DESC) WHERE status = 'closed'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_recently_closed`);
    await q.query(`ALTER TABLE tickets DROP COLUMN auto_close_warned_at`);
    await q.query(`ALTER TABLE tickets DROP COLUMN reopened_at`);
    await q.query(`ALTER TABLE tickets DROP COLUMN closed_by`);
    await q.query(`DROP INDEX ticket_messages_pending`);
    await q.query(`CREATE INDEX ticket_messages_pending ON ticket_messages (ticket_id, id) WHERE copied_at IS NULL`);
    await q.query(`DROP INDEX ticket_messages_copy`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN author_name`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN entities`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN reply_to_message_id`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN failed_reason`);
  }
}
