import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an acknowledgement may have been requested without its result recorded. A new ticket starts
 * with it set: its acknowledgement is requested right after the COMMIT that created it, so a crash
 * before the result is stored leaves the outcome unknown. Cleared when Telegram answered with an error
 * (nothing was sent), so only a send that may repeat an earlier one is counted as a repeat.
 */
export class AckStarted1764002470000 implements MigrationInterface {
  name = 'AckStarted1764002470000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets ADD COLUMN ack_started_at timestamptz`);
    await q.query(`ALTER TABLE tickets ALTER COLUMN ack_started_at SET DEFAULT now()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tickets DROP COLUMN ack_started_at`);
  }
}
