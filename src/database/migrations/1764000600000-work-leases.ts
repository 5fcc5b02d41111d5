import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-ticket serialisation that holds no connection: a job takes a lease row (`kind`, `key`) for a
 * short time and renews it while it works, instead of a session advisory lock that kept a pooled
 * connection for the whole job, Bot API waits included. A dead holder's lease simply runs out.
 */
export class WorkLeases1764000600000 implements MigrationInterface {
  name = 'WorkLeases1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE work_leases (
        kind   text NOT NULL,
        key    bigint NOT NULL,
        holder text NOT NULL,
        until  timestamptz NOT NULL,
        PRIMARY KEY (kind, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE work_leases`);
  }
}
