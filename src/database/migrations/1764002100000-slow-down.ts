import { MigrationInterface, QueryRunner } from 'typeorm';

/** When a customer writing faster than a sane rate was last asked to slow down (told once per stretch). */
export class SlowDown1764002100000 implements MigrationInterface {
  name = 'SlowDown1764002100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers ADD COLUMN slowed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers DROP COLUMN slowed_at`);
  }
}
