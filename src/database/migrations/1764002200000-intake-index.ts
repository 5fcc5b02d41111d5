import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Intake counts a customer's tickets of the last hour (MAX_TICKETS_PER_HOUR) on every new ticket: an
 * index on (customer_id, created_at) keeps that a lookup however many tickets the desk has.
 */
export class IntakeIndex1764002200000 implements MigrationInterface {
  name = 'IntakeIndex1764002200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX tickets_customer_created ON tickets (customer_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_customer_created`);
  }
}
