import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Several support groups: each ticket records the forum group its topic lives in, for life. A thread id
 * is unique within its group only. Existing tickets get the first configured group when the app starts
 * (SupportGroups.adoptGroupless: the migration does not know the configuration).
 */
export class TicketGroup1764002300000 implements MigrationInterface {
  name = 'TicketGroup1764002300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN group_id bigint`);
    await q.query(`DROP INDEX tickets_thread`);
    await q.query(`CREATE UNIQUE INDEX tickets_group_thread ON tickets (group_id, thread_id) WHERE thread_id IS NOT NULL`);
    await q.query(`CREATE INDEX tickets_open_by_group ON tickets (group_id) WHERE status = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tickets_open_by_group`);
    await q.query(`DROP INDEX tickets_group_thread`);
    await q.query(`CREATE UNIQUE INDEX tickets_thread ON tickets (thread_id) WHERE thread_id IS NOT NULL`);
    await q.query(`ALTER TABLE tickets DROP COLUMN group_id`);
  }
}
