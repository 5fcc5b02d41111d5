import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who spoke last on a ticket: 'customer' (it waits for the team) or 'agent' (the team answered). Only a
 * ticket the team answered may close by itself. Existing tickets take the side of their latest message.
 */
export class LastSpeaker1764001600000 implements MigrationInterface {
  name = 'LastSpeaker1764001600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN last_speaker text CHECK (last_speaker IN ('customer', 'agent'))`);
    await q.query(`
      UPDATE tickets t SET last_speaker = (
        SELECT m.direction FROM ticket_messages m WHERE m.ticket_id = t.id ORDER BY m.id DESC LIMIT 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets DROP COLUMN last_speaker`);
  }
}
