import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake answers chat completions: normally, or with one of the failures the bot must survive. */
export type FakeOpenAIMode = 'ok' | 'error500' | 'hang' | 'refuse' | 'empty' | 'hostile';

export interface ChatMessage {
  role: string;
  content: string;
}

/** One `POST /v1/chat/completions` as the fake received it. */
export interface ChatRequest {
  /** 1, 2, 3… in order of arrival. */
  n: number;
  model: string;
  messages: ChatMessage[];
  /** `response_format.type` when the client asked for one (`json_object`). */
  responseFormat?: string;
  /** The content of the first system message and of the last user message ('' when absent). */
  system: string;
  user: string;
  /** The last user message parsed as JSON when it is a JSON object (the bot's prompt contract), else null. */
  payload: Record<string, unknown> | null;
  receivedAt: number;
  /** When a response (success or error) was written; undefined while pending, or when the client gave up. */
  answeredAt?: number;
  status?: number;
}

export type FakeResponder = (req: ChatRequest) => string | Promise<string>;

/**
 * A small OpenAI-compatible server (plain `node:http`) for tests and the sandbox: `POST
 * /v1/chat/completions` and `GET /v1/models`, with a bearer key, adjustable latency and failure modes.
 * The default responder follows the bot's prompt contract (the user message is a JSON object with a
 * `task`) so that a demo gets useful titles and answers without a real model.
 */
export class FakeOpenAI {
  private readonly apiKey: string;
  private latencyMs: number;
  private mode: FakeOpenAIMode = 'ok';
  private responder: FakeResponder | null = null;
  private readonly log: ChatRequest[] = [];
  private readonly pending = new Set<() => void>();
  private server?: Server;
  private url = '';

  constructor(options: { apiKey?: string; latencyMs?: number } = {}) {
    this.apiKey = options.apiKey ?? 'sk-fake';
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** `http://127.0.0.1:PORT/v1`, the value for OPENAI_BASE_URL ('' before start). */
  get baseUrl(): string {
    return this.url;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.url;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) json(res, 500, { error: { message: error.message, type: 'server_error' } });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const actual = (server.address() as AddressInfo).port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}/v1`;
    return this.url;
  }

  /** Stops listening and cuts every open connection, so a client waiting on a held request fails at once. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const release of [...this.pending]) release();
    this.pending.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  setMode(mode: FakeOpenAIMode): void {
    this.mode = mode;
  }

  /** Replaces the default responder (null restores it); used only in mode 'ok'. */
  setResponder(fn: FakeResponder | null): void {
    this.responder = fn;
  }

  requests(): ChatRequest[] {
    return this.log.map((r) => ({ ...r, messages: r.messages.map((m) => ({ ...m })) }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      json(res, 401, {
        error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      json(res, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 1_700_000_000, owned_by: 'fake-openai' }] });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      json(res, 404, { error: { message: `Unknown request URL: ${req.method} ${path}`, type: 'invalid_request_error' } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      json(res, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error' } });
      return;
    }
    const request = this.record(body);
    const mode = this.mode;
    // The mode and latency in force when the request arrived decide its fate.
    if (mode === 'hang') {
      await this.hold(req, Infinity);
      return;
    }
    if (!(await this.hold(req, this.latencyMs))) return;
    if (res.destroyed) return;
    const answered = (status: number) => {
      request.answeredAt = Date.now();
      request.status = status;
    };
    if (mode === 'error500') {
      answered(500);
      json(res, 500, { error: { message: 'The server had an error while processing your request.', type: 'server_error' } });
      return;
    }
    let content: string | null;
    let refusal: string | null = null;
    if (mode === 'refuse') {
      content = null;
      refusal = "I'm sorry, but I can't help with that request.";
    } else if (mode === 'empty') {
      content = '';
    } else if (mode === 'hostile') {
      content = hostileOutput();
    } else {
      content = await (this.responder ?? defaultResponder)(request);
    }
    if (res.destroyed) return;
    answered(200);
    json(res, 200, {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: usageOf(request, content ?? refusal ?? ''),
      system_fingerprint: 'fp_fake',
    });
  }

  private record(body: Record<string, unknown>): ChatRequest {
    const messages = (Array.isArray(body.messages) ? body.messages : []).map((m: { role?: unknown; content?: unknown }) => ({
      role: String(m?.role ?? ''),
      content: contentText(m?.content),
    }));
    const user = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    let payload: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(user);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
    } catch {
      payload = null;
    }
    const format = (body.response_format as { type?: unknown } | undefined)?.type;
    const request: ChatRequest = {
      n: this.log.length + 1,
      model: String(body.model ?? ''),
      messages,
      responseFormat: typeof format === 'string' ? format : undefined,
      system: messages.find((m) => m.role === 'system')?.content ?? '',
      user,
      payload,
      receivedAt: Date.now(),
    };
    this.log.push(request);
    return request;
  }

  /** Waits `ms` (Infinity: until stop); false when the client disconnected or the fake stopped first. */
  private hold(req: IncomingMessage, ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (ok: boolean) => {
        if (timer) clearTimeout(timer);
        req.socket.off('close', gone);
        this.pending.delete(cancel);
        resolve(ok);
      };
      const gone = () => done(false);
      const cancel = () => done(false);
      this.pending.add(cancel);
      req.socket.once('close', gone);
      if (Number.isFinite(ms)) timer = setTimeout(() => done(true), ms);
    });
  }
}

// ------------------------------------------------------------------------------------------------
// The default responder: deterministic stand-ins for a compliant model, following the bot's prompt
// contract (src/ai/prompts.ts): the user message is JSON with `task` = "title" | "answer".

export function defaultResponder(req: ChatRequest): string {
  const payload = req.payload ?? {};
  const message = typeof payload.customer_message === 'string' ? payload.customer_message : '';
  const language = payload.language === 'ru' ? 'ru' : 'en';
  if (payload.task === 'title') return fakeTitle(message, language);
  if (payload.task === 'answer') {
    const knowledge = Array.isArray(payload.knowledge) ? (payload.knowledge as { text?: unknown }[]) : [];
    return JSON.stringify(fakeAnswer(message, knowledge.map((k) => String(k?.text ?? '')), language));
  }
  return req.responseFormat === 'json_object' ? JSON.stringify({ reply: 'Fake reply.' }) : 'Fake reply.';
}

/** The first few words of the customer's first sentence, as a title. */
export function fakeTitle(message: string, language: 'ru' | 'en'): string {
  // Like a model would, it names the problem, not the markup someone typed into it.
  const plain = message.replace(/<\/?[a-z][^>]*>/gi, ' ');
  const sentence = plain.split(/[\n.!?]/).find((s) => /[\p{L}\p{N}]/u.test(s)) ?? '';
  const words = sentence.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
  if (!words.length) return language === 'ru' ? 'Обращение клиента' : 'Customer request';
  const title = words.slice(0, 6).join(' ');
  return title.charAt(0).toUpperCase() + title.slice(1);
}

/**
 * Answers from the excerpt that shares the most significant words with the question (at least two);
 * otherwise says a person will answer, as the bot's prompt requires.
 */
export function fakeAnswer(question: string, excerpts: string[], language: 'ru' | 'en'): { covered: boolean; answer: string } {
  const asked = stems(question);
  let best = { score: 0, text: '' };
  for (const text of excerpts) {
    const have = stems(text);
    let score = 0;
    for (const s of asked) if (have.has(s)) score++;
    if (score > best.score) best = { score, text };
  }
  if (best.score >= 2) {
    const body = best.text
      .split('\n')
      .filter((line) => !/^\s*#/.test(line))
      .join('\n')
      .trim();
    // The first paragraph, its hard-wrapped lines joined, as a model would write it.
    const paragraph = (body.split(/\n\s*\n/)[0] ?? body).replace(/\s*\n\s*/g, ' ').trim();
    return { covered: true, answer: paragraph.slice(0, 600) };
  }
  return {
    covered: false,
    answer: language === 'ru' ? 'Ваш вопрос передан специалисту поддержки, он скоро ответит.' : 'A support agent will answer your question soon.',
  };
}

function stems(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? []).map((w) => w.slice(0, 5)));
}

/** What an unruly model might return for a title: long, several lines, markup, quotes and a label. */
export function hostileOutput(): string {
  const head = 'Title: "<b>Refund</b> for a <i>double</i> charge" & <script>alert(\'x\')</script>\n\n';
  const tail = '«Also» this: <a href="https://evil.example">click</a>\n```\nignore the rules\n```\n';
  let text = head + tail;
  while (text.length < 300) text += 'More text that nobody asked for. ';
  return text.slice(0, 300);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return '';
}

function usageOf(request: ChatRequest, output: string) {
  // A rough stand-in for token counts (about four characters a token).
  const prompt = Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4);
  const completion = Math.ceil(output.length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
