import type * as http from 'node:http';
import type { BotApiEmulator, TgMessage, TgUser } from '../emulator';
import type { NewCustomer, SandboxFaults, SandboxState } from '../sandbox-protocol';
import { serveFile, sniffImage } from './assets';
import { HttpError, readBody, readJson, sendJson } from './http';
import { optionalInt, readCustomer, readFaults, requireInt, requireText } from './input';
import type { LiveFeed } from './live';

export const PREFIX = '/_sandbox/';
/** Telegram's limit for a photo sent by a user. */
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;

/** What the routes act on; SandboxControl provides it. */
export interface RouteHost {
  readonly emu: BotApiEmulator;
  readonly agent: TgUser;
  readonly live: LiveFeed;
  readonly customers: readonly TgUser[];
  /** callback_query_id -> the user who pressed the button, for the toast its answer shows. */
  readonly clicks: Map<string, number>;
  state(): SandboxState;
  faults(): SandboxFaults;
  setFaults(change: Partial<SandboxFaults>): SandboxFaults;
  addCustomer(p: NewCustomer): TgUser;
}

/** One request under PREFIX; throws HttpError (or any error, answered as 400) on failure. */
export async function route(host: RouteHost, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const { emu } = host;
  const path = url.pathname.slice(PREFIX.length).replace(/\/+$/, '');
  const parts = path.split('/').map((p) => decodeURIComponent(p));
  const method = req.method ?? 'GET';
  const only = (...allowed: string[]) => {
    if (!allowed.includes(method)) throw new HttpError(405, `${method} is not allowed on /_sandbox/${path}; use ${allowed.join(' or ')}`);
  };

  if (path === 'events') {
    only('GET');
    return host.live.openStream(req, res, () => host.state());
  }
  if (path === 'state') {
    only('GET');
    return sendJson(res, 200, { ok: true, result: host.state() });
  }
  if (path === 'faults') {
    only('GET', 'PUT', 'POST');
    if (method === 'GET') return sendJson(res, 200, { ok: true, result: host.faults() });
    return sendJson(res, 200, { ok: true, result: host.setFaults(readFaults(await readJson(req))) });
  }
  if (path === 'customers') {
    only('POST');
    const body = await readJson(req);
    return sendJson(res, 200, { ok: true, result: host.addCustomer(readCustomer(body)) });
  }
  if (parts[0] === 'customers' && parts.length === 3) {
    only('POST');
    const userId = customerId(host, parts[1]);
    if (parts[2] === 'text') {
      const body = await readJson(req);
      const text = requireText(body.text, 'text', MAX_TEXT);
      const reply = optionalInt(body.reply_to_message_id, 'reply_to_message_id');
      return sendJson(res, 200, { ok: true, result: emu.userSendText(userId, text, { reply_to_message_id: reply }) });
    }
    if (parts[2] === 'photo') return sendJson(res, 200, { ok: true, result: await receivePhoto(emu, req, url, userId) });
    if (parts[2] === 'click') return sendJson(res, 200, { ok: true, result: click(host, userId, await readJson(req)) });
  }
  if (path === 'agent/click') {
    only('POST');
    return sendJson(res, 200, { ok: true, result: click(host, host.agent.id, await readJson(req)) });
  }
  if (path === 'agent/text') {
    only('POST');
    const body = await readJson(req);
    const text = requireText(body.text, 'text', MAX_TEXT);
    const threadId = optionalInt(body.thread_id, 'thread_id');
    const reply = optionalInt(body.reply_to_message_id, 'reply_to_message_id');
    const message = emu.agentSend(host.agent.id, { threadId, text, reply_to_message_id: reply });
    return sendJson(res, 200, { ok: true, result: message });
  }
  if (parts[0] === 'files' && parts.length === 2) {
    only('GET', 'HEAD');
    return serveFile(res, emu, parts[1]);
  }
  throw new HttpError(404, `no such sandbox endpoint: ${method} /_sandbox/${path}`);
}

function click(host: RouteHost, userId: number, body: Record<string, unknown>): { callback_query_id: string } {
  const messageId = requireInt(body.message_id, 'message_id');
  if (typeof body.data !== 'string' || !body.data) throw new HttpError(400, "data must be the button's callback_data");
  const queryId = host.emu.userClick(userId, messageId, body.data);
  host.clicks.set(queryId, userId);
  return { callback_query_id: queryId };
}

function customerId(host: RouteHost, raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || !host.customers.some((c) => c.id === id)) throw new HttpError(404, `no customer ${raw}`);
  return id;
}

async function receivePhoto(emu: BotApiEmulator, req: http.IncomingMessage, url: URL, userId: number): Promise<TgMessage> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(type)) {
    req.resume();
    throw new HttpError(415, `send the picture as the request body with Content-Type image/png, image/jpeg, image/gif or image/webp (got "${type || 'none'}")`);
  }
  const bytes = await readBody(req, MAX_PHOTO_BYTES);
  if (bytes.length === 0) throw new HttpError(400, 'the picture is empty');
  if (!sniffImage(bytes)) throw new HttpError(415, 'the body is not a PNG, JPEG, GIF or WebP picture');
  const caption = url.searchParams.get('caption') ?? '';
  if ([...caption].length > MAX_CAPTION) throw new HttpError(400, `caption is longer than ${MAX_CAPTION} characters`);
  const dimension = (name: string): number | undefined => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 20_000) throw new HttpError(400, `${name} must be a whole number of pixels`);
    return n;
  };
  return emu.userSendPhoto(userId, { caption: caption || undefined, bytes, width: dimension('width'), height: dimension('height') });
}
