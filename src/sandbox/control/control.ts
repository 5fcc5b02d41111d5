import type * as http from 'node:http';
import type { BotApiEmulator, Fault, TgMessage, TgUser } from '../emulator';
import type { NewCustomer, SandboxAiKind, SandboxAiMode, SandboxFaults, SandboxState } from '../sandbox-protocol';
import { serveStatic } from './assets';
import { HttpError, sendJson } from './http';
import { NO_FAULTS } from './input';
import { LiveFeed } from './live';
import { PREFIX, route, type RouteHost } from './routes';

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
 * The routes are in routes.ts, the event stream in live.ts, the page's files in assets.ts.
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

export class SandboxControl {
  readonly agent: TgUser;
  private readonly customers: TgUser[] = [];
  private readonly clicks = new Map<string, number>();
  private faults: SandboxFaults = { ...NO_FAULTS };
  private readonly live: LiveFeed;
  private readonly routes: RouteHost;

  constructor(
    private readonly emu: BotApiEmulator,
    private readonly options: ControlOptions = {},
  ) {
    this.agent = emu.createAgent({ ...(options.agent ?? { first_name: 'Alex', last_name: 'Agent', username: 'alex_support' }), admin: true });
    this.live = new LiveFeed(emu, { customers: this.customers, clicks: this.clicks });
    emu.useHttpExtension((req, res) => this.handle(req, res));
    this.routes = {
      emu,
      agent: this.agent,
      live: this.live,
      customers: this.customers,
      clicks: this.clicks,
      state: () => this.state(),
      faults: () => this.faults,
      setFaults: (change) => this.setFaults(change),
      addCustomer: (p) => this.addCustomer(p),
    };
  }

  /** Detaches from the emulator and ends every event stream. */
  close(): void {
    this.emu.useHttpExtension(undefined);
    this.live.close();
  }

  addCustomer(p: NewCustomer): TgUser {
    const user = this.emu.createUser(p);
    this.customers.push(user);
    this.live.watch(user.id);
    this.live.broadcast('customers', this.customers);
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
    this.live.broadcast('faults', this.faults);
    return { ...this.faults };
  }

  state(): SandboxState {
    const chats: Record<string, TgMessage[]> = {};
    for (const chatId of this.live.watchedChats()) chats[chatId] = this.emu.chatMessages(chatId);
    return {
      bot: this.emu.botUser,
      agent: this.agent,
      supportChat: { id: this.emu.supportChatId, title: 'Support' },
      customers: [...this.customers],
      topics: this.emu.topics().filter((t) => !t.deleted),
      chats,
      faults: { ...this.faults },
      openai: this.options.openai?.kind ?? 'off',
      calls: this.live.recentCalls(),
    };
  }

  /** The emulator server's extension: true when this request was ours. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith(PREFIX)) {
      try {
        await route(this.routes, req, res, url);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 400;
        if (!res.headersSent) sendJson(res, status, { ok: false, error: (error as Error).message });
        else res.end();
      }
      return true;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const webDir = this.options.webDir;
      if (url.pathname === '/' || url.pathname === '/index.html') return serveStatic(res, webDir, 'index.html');
      if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') return serveStatic(res, webDir, url.pathname.slice(1));
    }
    return false;
  }
}
