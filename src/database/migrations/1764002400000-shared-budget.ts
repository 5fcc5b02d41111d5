import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One Telegram budget for every instance of the desk (see src/telegram/shared-budget.service.ts): a
 * heartbeat row per running instance with the part of the limits it holds and what it has spent lately,
 * and the chats Telegram answered 429 for, held until `until` by every instance.
 */
export class SharedBudget1764002400000 implements MigrationInterface {
  name = 'SharedBudget1764002400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE telegram_budget_members (
        instance_id uuid PRIMARY KEY,
        seen_at     timestamptz NOT NULL,
        "left"      boolean NOT NULL DEFAULT false,
        caps        jsonb NOT NULL,
        used        jsonb NOT NULL,
        peers       uuid[] NOT NULL DEFAULT '{}'
      )`);
    await q.query(`
      CREATE TABLE telegram_chat_holds (
        chat_id bigint PRIMARY KEY,
        until   timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE telegram_chat_holds`);
    await q.query(`DROP TABLE telegram_budget_members`);
  }
}
