import { MigrationInterface, QueryRunner } from 'typeorm';

/** The customer's rating of a closed ticket (1–5), given once, and their comment after a low one. */
export class Ratings1764001800000 implements MigrationInterface {
  name = 'Ratings1764001800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN rating smallint CHECK (rating BETWEEN 1 AND 5), ADD COLUMN rated_at timestamptz, ADD COLUMN rating_comment text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets DROP COLUMN rating, DROP COLUMN rated_at, DROP COLUMN rating_comment`);
  }
}
