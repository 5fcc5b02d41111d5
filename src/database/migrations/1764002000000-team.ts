import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Team tools: who owns a ticket and whether its first-response reminder went out (on the ticket, so
 * the card and the reminder read them with it); bans of customers; and the people told once per topic
 * that their messages there reach no customer.
 */
export class Team1764002000000 implements MigrationInterface {
  name = 'Team1764002000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN assignee_id bigint, ADD COLUMN assignee_name text, ADD COLUMN sla_reminded_at timestamptz`);
    // An anonymous administrator's answer is signed with the team's name whatever AGENT_SIGNATURE says.
    await q.query(`ALTER TABLE ticket_messages ADD COLUMN team_signed boolean NOT NULL DEFAULT false`);
    // The reminder sweep looks only at open tickets not reminded yet.
    await q.query(`CREATE INDEX tickets_sla_due ON tickets (created_at) WHERE status = 'open' AND sla_reminded_at IS NULL`);
    await q.query(`
      CREATE TABLE customer_bans (
        customer_id bigint PRIMARY KEY,
        until timestamptz,
        reason text,
        banned_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        told_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE outsider_notices (
        ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        user_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (ticket_id, user_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outsider_notices`);
    await q.query(`DROP TABLE customer_bans`);
    await q.query(`DROP INDEX tickets_sla_due`);
    await q.query(`ALTER TABLE ticket_messages DROP COLUMN team_signed`);
    await q.query(`ALTER TABLE tickets DROP COLUMN assignee_id, DROP COLUMN assignee_name, DROP COLUMN sla_reminded_at`);
  }
}
