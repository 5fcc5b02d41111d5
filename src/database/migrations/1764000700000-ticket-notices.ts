import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The notices a ticket's lifecycle sent (the customer told "your request was closed", the note in the
 * topic), one row per occurrence, so a retried job does not send them again.
 */
export class TicketNotices1764000700000 implements MigrationInterface {
  name = 'TicketNotices1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ticket_notices (
        ticket_id  bigint NOT NULL REFERENCES tickets (id),
        occurrence text NOT NULL,
        sent_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (ticket_id, occurrence)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ticket_notices`);
  }
}
