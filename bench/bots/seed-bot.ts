/**
 * The original system's order, for comparison: the customer's first message is acknowledged only after
 * the AI has titled the topic, the topic exists, the ticket is saved and the message is copied into the
 * topic. Updates are handled concurrently (as the original's framework runs each update as a task), so
 * the difference to the app is the order of the steps, not a queue of customers.
 *
 * Environment: TELEGRAM_API_ROOT, BOT_TOKEN, SUPPORT_CHAT_ID, DATABASE_URL, OPENAI_BASE_URL, OPENAI_API_KEY.
 */
import { Pool } from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const api = `${env('TELEGRAM_API_ROOT')}/bot${env('BOT_TOKEN')}`;
const supportChatId = Number(env('SUPPORT_CHAT_ID'));
const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 10 });
let stopping = false;

async function call<T>(method: string, params: object, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${api}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    signal,
  });
  const body = (await response.json()) as { ok: boolean; result: T; description?: string };
  if (!body.ok) throw new Error(`${method}: ${body.description}`);
  return body.result;
}

async function aiTitle(text: string): Promise<string> {
  const response = await fetch(`${env('OPENAI_BASE_URL')}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env('OPENAI_API_KEY')}` },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Name the customer problem in a few words.' },
        { role: 'user', content: JSON.stringify({ task: 'title', customer_message: text, language: 'en' }) },
      ],
    }),
  });
  const body = (await response.json()) as { choices?: { message?: { content?: string } }[] };
  return body.choices?.[0]?.message?.content?.trim() || 'Customer request';
}

interface Message {
  message_id: number;
  chat: { id: number; type: string };
  text?: string;
}

async function createTicket(message: Message): Promise<void> {
  const title = await aiTitle(message.text ?? '');
  const topic = await call<{ message_thread_id: number }>('createForumTopic', { chat_id: supportChatId, name: title.slice(0, 128) });
  const { rows } = await pool.query<{ id: number }>(
    'INSERT INTO seed_tickets (customer_id, thread_id, first_message) VALUES ($1, $2, $3) RETURNING id',
    [message.chat.id, topic.message_thread_id, message.text ?? ''],
  );
  await call('copyMessage', { chat_id: supportChatId, message_thread_id: topic.message_thread_id, from_chat_id: message.chat.id, message_id: message.message_id });
  const text = `Thank you for your request, our support team will review it in order of the queue.\nRequest number: <b>#${rows[0].id}</b>`;
  await call('sendMessage', { chat_id: message.chat.id, text, parse_mode: 'HTML', reply_parameters: { message_id: message.message_id } });
}

async function main(): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS seed_tickets (id serial PRIMARY KEY, customer_id bigint NOT NULL, thread_id int NOT NULL, first_message text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  const controller = new AbortController();
  process.once('SIGTERM', () => {
    stopping = true;
    controller.abort();
  });
  let offset = 0;
  while (!stopping) {
    let updates: { update_id: number; message?: Message }[];
    try {
      updates = await call('getUpdates', { offset, timeout: 30, allowed_updates: ['message'] }, controller.signal);
    } catch (error) {
      if (stopping) break;
      process.stderr.write(`seed bot: ${(error as Error).message}\n`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    for (const update of updates) {
      offset = Math.max(offset, update.update_id + 1);
      const message = update.message;
      if (message?.chat.type !== 'private' || message.text === undefined) continue;
      createTicket(message).catch((error: Error) => process.stderr.write(`seed bot: ${error.message}\n`));
    }
  }
  await pool.end();
}

void main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`seed bot: ${error.message}\n`);
    process.exit(1);
  },
);
