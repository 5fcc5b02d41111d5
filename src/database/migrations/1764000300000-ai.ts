import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The AI's side of a ticket: its topic title, and its one first answer with where that answer went.
 * Kept on the ticket so "once per ticket" is a conditional UPDATE, not a lock.
 */
export class Ai1764000300000 implements MigrationInterface {
  name = 'Ai1764000300000';

  async up(q: QueryRunner): Promise<void> {
    // The sanitised title ("#42 · Refund for a double charge"); ai_title_state says the job is done either way.
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_title text`);
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_title_state text CHECK (ai_title_state IN ('ready', 'failed'))`);
    // The first answer: NULL until the model answered; then ready → drafted → sending → sent | discarded, or a final
    // uncovered / skipped / failed.
    await q.query(
      `ALTER TABLE tickets ADD COLUMN ai_answer_state text CHECK (ai_answer_state IN
         ('ready', 'drafted', 'sending', 'sent', 'discarded', 'uncovered', 'skipped', 'failed'))`,
    );
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_answer text`);
    // The draft in the topic, the message the customer got, and its mirror in the topic (auto mode).
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_draft_message_id integer`);
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_answer_message_id integer`);
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_mirror_message_id integer`);
    // Who sent or discarded a draft (an agent's name), and when the answer reached its final state.
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_answer_decided_by text`);
    await q.query(`ALTER TABLE tickets ADD COLUMN ai_answer_decided_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of [
      'ai_answer_decided_at',
      'ai_answer_decided_by',
      'ai_mirror_message_id',
      'ai_answer_message_id',
      'ai_draft_message_id',
      'ai_answer',
      'ai_answer_state',
      'ai_title_state',
      'ai_title',
    ]) {
      await q.query(`ALTER TABLE tickets DROP COLUMN ${column}`);
    }
  }
}
