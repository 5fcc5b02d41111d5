import { existsSync, readFileSync, statSync } from 'node:fs';
import type * as http from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { AI_MODES, type CallSummary, type NewCustomer, type SandboxAiKind, type SandboxAiMode, type SandboxEvents, type SandboxFaults, type SandboxState } from '../sandbox-protocol';
import type { BotApiEmulator } from './emulator';
import type { CallRecord, Fault, TgMessage, TgUser } from './types';

/**
 * The sandbox page's side of the emulator: JSON endpoints under `/_sandbox/` that map onto the
 * emulator's actor methods, a server-sent event stream of what changed, and the built page itself.
 *
 *   GET  /_sandbox/state                       everything the page shows (the same as the first event)
 *   GET  /_sandbox/events                      SSE: snapshot, message, removed, topics, customers, faults, call, toast
 *   POST /_sandbox/customers                   { first_name, last_name?, username?, language_code? }
 *   POST /_sandbox/customers/:id/text          { text, reply_to_message_id? }
 *   POST /_sandbox/customers/:id/photo         body: the image (image/png|jpeg|gif|webp); ?caption=&width=&height=
 *   POST /_sandbox/customers/:id/click         { message_id, data }
 *   POST /_sandbox/agent/text                  { text, thread_id?, reply_to_message_id? }
 *   POST /_sandbox/agent/click                 { message_id, data }: a button in the group (an AI draft's)
 *   GET  /_sandbox/faults, PUT /_sandbox/faults { bot_api_latency_ms?, create_topic_latency_ms?, rate_429?, openai_latency_ms?, openai_mode? }
 *   GET  /_sandbox/files/:file_id              a photo's bytes (or a drawn placeholder for generated ones)
 *
 * Answers are `{ ok: true, result }` or `{ ok: false, error }` with 400, 404, 405, 413 or 415.
 */

/** The AI side the fault panel can slow down: the fake OpenAI server, or the real one (not adjustable). */
export interface SandboxOpenAi {
  kind: SandboxAiKind;
  setLatency?(ms: number): void;
  setMode?(mode: SandboxAiMode): void;
}

export interface ControlOptions {
  /** The built page (index.html and assets/); without it `/` explains how to build it. */
  webDir?: string;
  openai?: SandboxOpenAi;
  /** The agent who writes in the support group from the page. */
  agent?: Omit<NewCustomer, 'language_code'>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PREFIX = '/_sandbox/';
const MAX_JSON_BYTES = 64 * 1024;
/** Telegram's limit for a photo sent by a user. */
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const CALL_LOG = 40;
const FLUSH_MS = 40;
const HEARTBEAT_MS = 15_000;
const NO_FAULTS: SandboxFaults = { bot_api_latency_ms: 0, create_topic_latency_ms: 0, rate_429: 0, openai_latency_ms: 0, openai_mode: 'ok' };
const MAX_LATENCY_MS = 120_000;

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

export class SandboxControl {
  readonly agent: TgUser;
  private readonly customers: TgUser[] = [];
  private readonly clients = new Set<http.ServerResponse>();
  private readonly calls: CallSummary[] = [];
  private readonly clicks = new Map<string, number>();
  private faults: SandboxFaults = { ...NO_FAULTS };
  /** What the clients were last told, per chat: message_id -> its JSON. */
  private readonly told = new Map<number, Map<number, string>>();
  private toldTopics = '';
  private flushTimer?: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onChange = () => this.scheduleFlush();
  private readonly onCall = (record: CallRecord) => this.recordCall(record);

  constructor(
    private readonly emu: BotApiEmulator,
    private readonly options: ControlOptions = {},
  ) {
    this.agent = emu.createAgent({ ...(options.agent ?? { first_name: 'Alex', last_name: 'Agent', username: 'alex_support' }), admin: true });
    emu.on('change', this.onChange);
    emu.on('call', this.onCall);
    emu.useHttpExtension((req, res) => this.handle(req, res));
    this.told.set(emu.supportChatId, new Map());
    this.heartbeat = setInterval(() => this.broadcastRaw(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Detaches from the emulator and ends every event stream. */
  close(): void {
    this.emu.off('change', this.onChange);
    this.emu.off('call', this.onCall);
    this.emu.useHttpExtension(undefined);
    clearInterval(this.heartbeat);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  addCustomer(p: NewCustomer): TgUser {
    const user = this.emu.createUser(p);
    this.customers.push(user);
    this.told.set(user.id, new Map());
    this.broadcast('customers', this.customers);
    return user;
  }

  setFaults(change: Partial<SandboxFaults>): SandboxFaults {
    const next = { ...this.faults, ...change };
    const all: Fault = {};
    if (next.bot_api_latency_ms > 0) all.latencyMs = next.bot_api_latency_ms;
    if (next.rate_429 > 0) Object.assign(all, { rate429: next.rate_429, retryAfter: [1, 3] });
    this.emu.setFault('*', Object.keys(all).length ? all : null);
    this.emu.setFault('createForumTopic', next.create_topic_latency_ms > 0 ? { latencyMs: next.create_topic_latency_ms } : null);
    const ai = this.options.openai;
    if (ai?.setLatency) ai.setLatency(next.openai_latency_ms);
    else next.openai_latency_ms = 0;
    if (ai?.setMode) ai.setMode(next.openai_mode);
    else next.openai_mode = 'ok';
    this.faults = next;
    this.broadcast('faults', this.faults);
    return { ...this.faults };
  }

  state(): SandboxState {
    const chats: Record<string, TgMessage[]> = {};
    for (const chatId of this.told.keys()) chats[chatId] = this.emu.chatMessages(chatId);
    return {
      bot: this.emu.botUser,
      agent: this.agent,
      supportChat: { id: this.emu.supportChatId, title: 'Support' },
      customers: [...this.customers],
      topics: this.emu.topics().filter((t) => !t.deleted),
      chats,
      faults: { ...this.faults },
      openai: this.options.openai?.kind ?? 'off',
      calls: [...this.calls],
    };
  }

  // ---------------------------------------------------------------- HTTP

  /** The emulator server's extension: true when this request was ours. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith(PREFIX)) {
      try {
        await this.route(req, res, url);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 400;
        if (!res.headersSent) sendJson(res, status, { ok: false, error: (error as Error).message });
        else res.end();
      }
      return true;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (url.pathname === '/' || url.pathname === '/index.html') return this.serveStatic(res, 'index.html');
      if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') return this.serveStatic(res, url.pathname.slice(1));
    }
    return false;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice(PREFIX.length).replace(/\/+$/, '');
    const parts = path.split('/').map((p) => decodeURIComponent(p));
    const method = req.method ?? 'GET';
    const only = (...allowed: string[]) => {
      if (!allowed.includes(method)) throw new HttpError(405, `${method} is not allowed on /_sandbox/${path}; use ${allowed.join(' or ')}`);
    };

    if (path === 'events') {
      only('GET');
      return this.openStream(req, res);
    }
    if (path === 'state') {
      only('GET');
      return sendJson(res, 200, { ok: true, result: this.state() });
    }
    if (path === 'faults') {
      only('GET', 'PUT', 'POST');
      if (method === 'GET') return sendJson(res, 200, { ok: true, result: this.faults });
      return sendJson(res, 200, { ok: true, result: this.setFaults(readFaults(await readJson(req))) });
    }
    if (path === 'customers') {
      only('POST');
      const body = await readJson(req);
      return sendJson(res, 200, { ok: true, result: this.addCustomer(readCustomer(body)) });
    }
    if (parts[0] === 'customers' && parts.length === 3) {
      only('POST');
      const userId = this.customerId(parts[1]);
      if (parts[2] === 'text') {
        const body = await readJson(req);
        const text = requireText(body.text, 'text', MAX_TEXT);
        const reply = optionalInt(body.reply_to_message_id, 'reply_to_message_id');
        return sendJson(res, 200, { ok: true, result: this.emu.userSendText(userId, text, { reply_to_message_id: reply }) });
      }
      if (parts[2] === 'photo') return sendJson(res, 200, { ok: true, result: await this.receivePhoto(req, url, userId) });
      if (parts[2] === 'click') return sendJson(res, 200, { ok: true, result: this.click(userId, await readJson(req)) });
    }
    if (path === 'agent/click') {
      only('POST');
      return sendJson(res, 200, { ok: true, result: this.click(this.agent.id, await readJson(req)) });
    }
    if (path === 'agent/text') {
      only('POST');
      const body = await readJson(req);
      const text = requireText(body.text, 'text', MAX_TEXT);
      const threadId = optionalInt(body.thread_id, 'thread_id');
      const reply = optionalInt(body.reply_to_message_id, 'reply_to_message_id');
      const message = this.emu.agentSend(this.agent.id, { threadId, text, reply_to_message_id: reply });
      return sendJson(res, 200, { ok: true, result: message });
    }
    if (parts[0] === 'files' && parts.length === 2) {
      only('GET', 'HEAD');
      return this.serveFile(res, parts[1]);
    }
    throw new HttpError(404, `no such sandbox endpoint: ${method} /_sandbox/${path}`);
  }

  private click(userId: number, body: Record<string, unknown>): { callback_query_id: string } {
    const messageId = requireInt(body.message_id, 'message_id');
    if (typeof body.data !== 'string' || !body.data) throw new HttpError(400, "data must be the button's callback_data");
    const queryId = this.emu.userClick(userId, messageId, body.data);
    this.clicks.set(queryId, userId);
    return { callback_query_id: queryId };
  }

  private customerId(raw: string): number {
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || !this.customers.some((c) => c.id === id)) throw new HttpError(404, `no customer ${raw}`);
    return id;
  }

  private async receivePhoto(req: http.IncomingMessage, url: URL, userId: number): Promise<TgMessage> {
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
    return this.emu.userSendPhoto(userId, { caption: caption || undefined, bytes, width: dimension('width'), height: dimension('height') });
  }

  private serveFile(res: http.ServerResponse, fileId: string): void {
    const file = this.emu.fileContent(fileId);
    if (!file) throw new HttpError(404, `no file ${fileId}`);
    const type = file.bytes ? sniffImage(file.bytes) : undefined;
    if (file.bytes && type) {
      res.writeHead(200, { 'content-type': type, 'content-length': String(file.bytes.length), 'cache-control': 'max-age=86400, immutable' });
      res.end(file.bytes);
      return;
    }
    // A generated file has no picture: draw one, tinted by its id so that two photos look different.
    const hue = [...fileId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
    const label = file.kind === 'photo' ? 'photo' : file.kind;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">` +
      `<rect width="320" height="240" fill="hsl(${hue},45%,78%)"/>` +
      `<path d="M40 190 L120 100 L175 160 L215 120 L280 190 Z" fill="hsl(${hue},40%,55%)"/>` +
      `<circle cx="235" cy="70" r="22" fill="hsl(${(hue + 40) % 360},70%,88%)"/>` +
      `<text x="160" y="222" font-family="sans-serif" font-size="15" text-anchor="middle" fill="hsl(${hue},35%,30%)">emulated ${label}</text></svg>`;
    res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400, immutable' });
    res.end(svg);
  }

  private serveStatic(res: http.ServerResponse, relative: string): boolean {
    const root = this.options.webDir;
    const index = root ? join(root, 'index.html') : '';
    if (!root || !existsSync(index)) {
      const body = 'The sandbox page is not built. Run: npm run sandbox:web (npm run sandbox builds it for you).\n';
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
      return true;
    }
    const file = normalize(join(root, relative));
    if (!file.startsWith(normalize(root) + sep) || !existsSync(file) || !statSync(file).isFile()) {
      sendJson(res, 404, { ok: false, error: `not found: /${relative}` });
      return true;
    }
    const data = readFileSync(file);
    const cache = relative.startsWith('assets/') ? 'max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { 'content-type': STATIC_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(data.length), 'cache-control': cache });
    res.end(data);
    return true;
  }

  // ---------------------------------------------------------------- live updates

  private openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Whatever changed before this client came is told to the others first, so that the snapshot and
    // the deltas that follow it agree.
    this.flush();
    res.write('retry: 1000\n\n');
    res.write(event<'snapshot'>('snapshot', this.state()));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.clients.size === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  /** Compares the emulator with what the clients were told and sends the difference. */
  private flush(): void {
    for (const [chatId, told] of this.told) {
      const seen = new Set<number>();
      for (const message of this.emu.chatMessages(chatId)) {
        seen.add(message.message_id);
        const json = JSON.stringify(message);
        if (told.get(message.message_id) === json) continue;
        told.set(message.message_id, json);
        // The message's JSON is reused as it is: { chat_id, message } of SandboxEvents['message'].
        this.broadcastRaw(`event: message\ndata: {"chat_id":${chatId},"message":${json}}\n\n`);
      }
      for (const id of told.keys()) {
        if (seen.has(id)) continue;
        told.delete(id);
        this.broadcast('removed', { chat_id: chatId, message_id: id });
      }
    }
    const topics = JSON.stringify(this.emu.topics().filter((t) => !t.deleted));
    if (topics !== this.toldTopics) {
      this.toldTopics = topics;
      this.broadcastRaw(`event: topics\ndata: ${topics}\n\n`); // SandboxEvents['topics']
    }
  }

  private recordCall(record: CallRecord): void {
    if (record.method === 'getUpdates') return;
    const chatId = Number(record.params.chat_id);
    const side = chatId === this.emu.supportChatId ? 'group' : this.customers.some((c) => c.id === chatId) ? 'customer' : '';
    const summary: CallSummary = {
      id: record.id,
      method: record.method,
      status: record.status ?? 0,
      ms: Math.round((record.finishedAt ?? record.startedAt) - record.startedAt),
      side,
    };
    if (!record.ok && record.description) summary.description = record.description;
    this.calls.push(summary);
    if (this.calls.length > CALL_LOG) this.calls.shift();
    this.broadcast('call', summary);
    if (record.method === 'answerCallbackQuery' && record.ok && typeof record.params.text === 'string' && record.params.text) {
      const userId = this.clicks.get(String(record.params.callback_query_id));
      if (userId !== undefined) this.broadcast('toast', { user_id: userId, text: record.params.text, alert: record.params.show_alert === true });
    }
  }

  private broadcast<K extends keyof SandboxEvents>(name: K, data: SandboxEvents[K]): void {
    if (this.clients.size) this.broadcastRaw(event(name, data));
  }

  private broadcastRaw(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}

// ------------------------------------------------------------------ helpers

function event<K extends keyof SandboxEvents>(name: K, data: SandboxEvents[K]): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(data.length), 'cache-control': 'no-store' });
  res.end(data);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `the request body is larger than ${Math.round(limit / 1024)} KiB`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', (error) => failed || reject(error));
  });
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json')) {
    req.resume();
    throw new HttpError(415, 'send a JSON body with Content-Type: application/json');
  }
  const raw = (await readBody(req, MAX_JSON_BYTES)).toString('utf8');
  let body: unknown;
  try {
    body = raw.trim() ? JSON.parse(raw) : {};
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

function requireText(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw new HttpError(400, `${name} must be a non-empty string`);
  if ([...value].length > max) throw new HttpError(400, `${name} is longer than ${max} characters`);
  return value;
}

function requireInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new HttpError(400, `${name} must be a positive integer`);
  return value;
}

function optionalInt(value: unknown, name: string): number | undefined {
  return value === undefined || value === null ? undefined : requireInt(value, name);
}

function readCustomer(body: Record<string, unknown>): NewCustomer {
  const first = requireText(body.first_name, 'first_name', 64).trim();
  const out: NewCustomer = { first_name: first };
  if (body.last_name !== undefined && body.last_name !== '') out.last_name = requireText(body.last_name, 'last_name', 64).trim();
  if (body.username !== undefined && body.username !== '') {
    const username = String(body.username).replace(/^@/, '');
    if (!/^[A-Za-z][A-Za-z0-9_]{4,31}$/.test(username)) throw new HttpError(400, 'username must be 5-32 characters of A-Z a-z 0-9 _, starting with a letter');
    out.username = username;
  }
  if (body.language_code !== undefined && body.language_code !== '') {
    if (typeof body.language_code !== 'string' || !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(body.language_code)) {
      throw new HttpError(400, 'language_code must be an IETF tag like en, ru or pt-BR');
    }
    out.language_code = body.language_code;
  }
  return out;
}

function readFaults(body: Record<string, unknown>): Partial<SandboxFaults> {
  const out: Partial<SandboxFaults> = {};
  const known = Object.keys(NO_FAULTS) as (keyof SandboxFaults)[];
  for (const key of Object.keys(body)) {
    if (!known.includes(key as keyof SandboxFaults)) throw new HttpError(400, `unknown fault "${key}"; known: ${known.join(', ')}`);
  }
  if (body.openai_mode !== undefined) {
    if (!AI_MODES.includes(body.openai_mode as SandboxAiMode)) throw new HttpError(400, `openai_mode must be one of ${AI_MODES.join(', ')}`);
    out.openai_mode = body.openai_mode as SandboxAiMode;
  }
  for (const key of known) {
    const value = body[key];
    if (value === undefined || key === 'openai_mode') continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new HttpError(400, `${key} must be a number`);
    if (key === 'rate_429') {
      if (value < 0 || value > 1) throw new HttpError(400, 'rate_429 must be between 0 and 1');
    } else if (value < 0 || value > MAX_LATENCY_MS) {
      throw new HttpError(400, `${key} must be between 0 and ${MAX_LATENCY_MS} ms`);
    }
    out[key] = (key === 'rate_429' ? value : Math.round(value)) as never;
  }
  return out;
}

/** The picture's type from its first bytes, or undefined when it is none of the four Telegram shows. */
function sniffImage(b: Buffer): string | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && b.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}
