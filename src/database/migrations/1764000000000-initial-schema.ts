import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customers (
        id            bigint PRIMARY KEY,
        first_name    text NOT NULL,
        last_name     text,
        username      text,
        language_code text,
        language      text NOT NULL,
        step          text NOT NULL DEFAULT 'language' CHECK (step IN ('language', 'category', 'describe', 'idle')),
        category      text,
        subcategory   text,
        draft         jsonb NOT NULL DEFAULT '[]'::jsonb,
        blocked_at    timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tickets (
        id              bigserial PRIMARY KEY,
        customer_id     bigint NOT NULL REFERENCES customers (id),
        status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        language        text NOT NULL,
        category        text NOT NULL,
        subcategory     text,
        thread_id       integer,
        title           text,
        card_message_id integer,
        topic_attempts  integer NOT NULL DEFAULT 0,
        ack_message_id  integer,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        closed_at       timestamptz
      )`);
    // The rule "one open ticket per customer" lives here, so every instance and every race obeys it.
    await q.query(`CREATE UNIQUE INDEX tickets_one_open_per_customer ON tickets (customer_id) WHERE status = 'open'`);
    await q.query(`CREATE UNIQUE INDEX tickets_thread ON tickets (thread_id) WHERE thread_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE ticket_messages (
        id              bigserial PRIMARY KEY,
        ticket_id       bigint NOT NULL REFERENCES tickets (id),
        direction       text NOT NULL CHECK (direction IN ('customer', 'agent')),
        chat_id         bigint NOT NULL,
        message_id      integer NOT NULL,
        kind            text NOT NULL,
        text            text,
        media_group_id  text,
        copy_message_id integer,
        copied_at       timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ticket_messages_source UNIQUE (chat_id, message_id)
      )`);
    await q.query(`CREATE INDEX ticket_messages_pending ON ticket_messages (ticket_id, id) WHERE copied_at IS NULL`);
    // One row per Telegram update handled: a redelivered update_id finds its row and is skipped.
    await q.query(`
      CREATE TABLE telegram_updates (
        update_id   bigint PRIMARY KEY,
        kind        text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE telegram_updates`);
    await q.query(`DROP TABLE ticket_messages`);
    await q.query(`DROP TABLE tickets`);
    await q.query(`DROP TABLE customers`);
  }
}
