/**
 * The floor to compare the app with: an ack-first bot that stores nothing. It long-polls getUpdates
 * and answers every private text message at once, as a reply, with the acknowledgement's text; each
 * update is answered without waiting for the others (no database, no queue, no limits of its own).
 *
 * Environment: TELEGRAM_API_ROOT, BOT_TOKEN.
 */
const api = `${process.env.TELEGRAM_API_ROOT}/bot${process.env.BOT_TOKEN}`;
let stopping = false;
let ticket = 0;

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

interface Message {
  message_id: number;
  chat: { id: number; type: string };
  text?: string;
}

function acknowledge(message: Message): void {
  const text = `Thank you for your request, our support team will review it in order of the queue.\nRequest number: <b>#${++ticket}</b>`;
  call('sendMessage', { chat_id: message.chat.id, text, parse_mode: 'HTML', reply_parameters: { message_id: message.message_id } }).catch(
    (error: Error) => process.stderr.write(`minimal bot: ${error.message}\n`),
  );
}

async function main(): Promise<void> {
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
      process.stderr.write(`minimal bot: ${(error as Error).message}\n`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    for (const update of updates) {
      offset = Math.max(offset, update.update_id + 1);
      if (update.message?.chat.type === 'private' && update.message.text !== undefined) acknowledge(update.message);
    }
  }
}

void main().then(() => process.exit(0));
