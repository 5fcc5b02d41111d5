import type * as http from 'node:http';
import type { BotApiEmulator, CallRecord, TgUser } from '../emulator';
import type { CallSummary, SandboxEvents, SandboxState } from '../sandbox-protocol';

const CALL_LOG = 40;
const FLUSH_MS = 40;
const HEARTBEAT_MS = 15_000;

/** Who the page knows, for labelling calls and routing toasts. */
export interface LiveAudience {
  readonly customers: readonly TgUser[];
  /** callback_query_id -> the user who pressed the button. */
  readonly clicks: ReadonlyMap<string, number>;
}

/** The server-sent event stream: what changed in the watched chats and topics, calls, toasts. */
export class LiveFeed {
  private readonly clients = new Set<http.ServerResponse>();
  private readonly calls: CallSummary[] = [];
  /** What the clients were last told, per chat: message_id -> its JSON. */
  private readonly told = new Map<number, Map<number, string>>();
  private toldTopics = '';
  private flushTimer?: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onChange = () => this.scheduleFlush();
  private readonly onCall = (record: CallRecord) => this.recordCall(record);

  constructor(
    private readonly emu: BotApiEmulator,
    private readonly audience: LiveAudience,
  ) {
    emu.on('change', this.onChange);
    emu.on('call', this.onCall);
    this.told.set(emu.supportChatId, new Map());
    this.heartbeat = setInterval(() => this.broadcastRaw(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Detaches from the emulator and ends every event stream. */
  close(): void {
    this.emu.off('change', this.onChange);
    this.emu.off('call', this.onCall);
    clearInterval(this.heartbeat);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  /** Starts telling the clients about this chat's messages. */
  watch(chatId: number): void {
    this.told.set(chatId, new Map());
  }

  watchedChats(): number[] {
    return [...this.told.keys()];
  }

  recentCalls(): CallSummary[] {
    return [...this.calls];
  }

  openStream(req: http.IncomingMessage, res: http.ServerResponse, snapshot: () => SandboxState): void {
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
    res.write(event<'snapshot'>('snapshot', snapshot()));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  broadcast<K extends keyof SandboxEvents>(name: K, data: SandboxEvents[K]): void {
    if (this.clients.size) this.broadcastRaw(event(name, data));
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
    const side = chatId === this.emu.supportChatId ? 'group' : this.audience.customers.some((c) => c.id === chatId) ? 'customer' : '';
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
      const userId = this.audience.clicks.get(String(record.params.callback_query_id));
      if (userId !== undefined) this.broadcast('toast', { user_id: userId, text: record.params.text, alert: record.params.show_alert === true });
    }
  }

  private broadcastRaw(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}

function event<K extends keyof SandboxEvents>(name: K, data: SandboxEvents[K]): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
