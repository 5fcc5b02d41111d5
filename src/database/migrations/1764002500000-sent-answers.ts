import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Answers the bot sends to a customer itself, not as a copy of a message in the topic: a ready answer
 * (/r), an AI draft an agent sent, an automatic AI answer. They are rows of the agent side, so the
 * transcript, /stats and the first-response reminder see them; `via` tells them apart from what a
 * person wrote ('chat'). They are recorded as delivered: the delivery jobs never pick them up.
 */
export class SentAnswers1764002500000 implements MigrationInterface {
  name = 'SentAnswers1764002500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ticket_messages
        ADD COLUMN via text NOT NULL DEFAULT 'chat' CHECK (via IN ('chat', 'ready', 'ai-draft', 'ai-auto')),
        ADD CONSTRAINT ticket_messages_via_side CHECK (via = 'chat' OR direction = 'agent')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM ticket_messages WHERE via <> 'chat'`);
    await q.query(`ALTER TABLE ticket_messages DROP CONSTRAINT ticket_messages_via_side, DROP COLUMN via`);
  }
}
