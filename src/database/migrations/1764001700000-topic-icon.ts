import { MigrationInterface, QueryRunner } from 'typeorm';

/** The status the ticket's topic icon shows now ('waiting', 'answered', 'closed'), so it changes only when the status does. */
export class TopicIcon1764001700000 implements MigrationInterface {
  name = 'TopicIcon1764001700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN topic_icon text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets DROP COLUMN topic_icon`);
  }
}
