import { conflict } from './errors';
import type { Update } from './types';

export const DEFAULT_EXCLUDED_UPDATES = ['chat_member', 'message_reaction', 'message_reaction_count'];

export interface QueuedUpdate {
  update: Update;
  type: string;
  /** Webhook ordering key: one queue per chat (per user for callback queries), as TBA's WebhookActor does. */
  key: string;
  /** A duplicate put back by `redeliver`, which can sit behind updates with higher ids. */
  redelivered: boolean;
  /** Number of the getUpdates call that last handed this update out. */
  handedOutIn?: number;
}

interface PendingPoll {
  limit: number;
  callNo: number;
  resolve: (updates: Update[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export function updateType(update: Update): string {
  return Object.keys(update).find((k) => k !== 'update_id') ?? 'unknown';
}

function queueKey(update: Update, type: string): string {
  const payload = update[type] as Record<string, unknown> | undefined;
  if (type === 'callback_query' || type === 'inline_query' || type === 'chosen_inline_result') {
    const from = payload?.from as { id?: number } | undefined;
    return `user:${from?.id ?? 0}`;
  }
  const chat = payload?.chat as { id?: number } | undefined;
  if (chat && typeof chat.id === 'number') return `chat:${chat.id}`;
  return `misc:${type}`;
}

/**
 * The bot's update queue. Updates stay queued until confirmed by a getUpdates offset above their id
 * (or acknowledged by the webhook), which gives Telegram's at-least-once delivery: a poll whose HTTP
 * request was dropped loses nothing.
 */
export class UpdateQueue {
  private entries: QueuedUpdate[] = [];
  private readonly history = new Map<number, Update>();
  private nextId: number;
  private allowed: string[] | undefined; // undefined = default set
  private pending?: PendingPoll;
  private flushScheduled = false;
  private callCounter = 0;

  constructor(
    firstUpdateId: number,
    private readonly hooks: { onChange: () => void; onHandedOut: (ids: number[]) => void; onEnqueued: () => void },
  ) {
    this.nextId = firstUpdateId;
  }

  get size(): number {
    return this.entries.length;
  }

  get allowedUpdates(): string[] | undefined {
    return this.allowed;
  }

  setAllowedUpdates(value: unknown): void {
    if (!Array.isArray(value)) return;
    this.allowed = value.length === 0 ? undefined : value.map(String);
  }

  isAllowed(type: string): boolean {
    return this.allowed ? this.allowed.includes(type) : !DEFAULT_EXCLUDED_UPDATES.includes(type);
  }

  /** Assigns an update_id; the update is queued only if its type is currently allowed (as TBA filters on arrival). */
  push(body: Omit<Update, 'update_id'> & { update_id?: number }): { update: Update; queued: boolean } {
    const id = body.update_id ?? this.nextId++;
    if (id >= this.nextId) this.nextId = id + 1;
    // update_id first, like Telegram's JSON.
    const ordered: Update = { update_id: id };
    for (const [k, v] of Object.entries(body)) if (k !== 'update_id') ordered[k] = v;
    this.history.set(ordered.update_id, ordered);
    const type = updateType(ordered);
    if (!this.isAllowed(type)) return { update: ordered, queued: false };
    this.entries.push({ update: ordered, type, key: queueKey(ordered, type), redelivered: false });
    this.afterPush();
    return { update: ordered, queued: true };
  }

  redeliver(updateId: number): boolean {
    const update = this.history.get(updateId);
    if (!update) return false;
    const type = updateType(update);
    this.entries.push({ update, type, key: queueKey(update, type), redelivered: true });
    this.afterPush();
    return true;
  }

  list(): readonly QueuedUpdate[] {
    return this.entries;
  }

  remove(entry: QueuedUpdate): void {
    const idx = this.entries.indexOf(entry);
    if (idx >= 0) this.entries.splice(idx, 1);
    this.hooks.onChange();
  }

  clear(): void {
    this.entries = [];
    this.hooks.onChange();
  }

  /**
   * getUpdates. Resolves with the batch; a newer call rejects an older pending one with 409.
   * `signal` aborts (client went away) without consuming anything.
   */
  poll(offset: number, limit: number, timeoutSec: number, signal?: AbortSignal): Promise<Update[]> {
    const callNo = ++this.callCounter;
    this.confirm(offset, callNo);
    if (this.pending) {
      const old = this.pending;
      this.pending = undefined;
      clearTimeout(old.timer);
      old.reject(conflict('terminated by other getUpdates request; make sure that only one bot instance is running'));
    }
    const batch = this.take(limit, callNo);
    if (batch.length > 0 || timeoutSec <= 0) return Promise.resolve(batch);
    return new Promise<Update[]>((resolve, reject) => {
      const pending: PendingPoll = {
        limit,
        callNo,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.pending === pending) this.pending = undefined;
          resolve([]);
        }, timeoutSec * 1000),
      };
      this.pending = pending;
      signal?.addEventListener('abort', () => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        clearTimeout(pending.timer);
        resolve([]);
      });
    });
  }

  /** Ends a pending long poll with an error (setWebhook) or an empty result (shutdown). */
  abortPending(error?: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve([]);
  }

  private afterPush(): void {
    this.hooks.onEnqueued();
    this.hooks.onChange();
    if (!this.pending || this.flushScheduled) return;
    // Let synchronous bursts (an album, a topic + its first message) land in one batch.
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const p = this.pending;
      if (!p) return;
      const batch = this.take(p.limit, p.callNo);
      if (batch.length === 0) return;
      this.pending = undefined;
      clearTimeout(p.timer);
      p.resolve(batch);
    });
  }

  private confirm(offset: number, callNo: number): void {
    const before = this.entries.length;
    if (offset < 0) {
      this.entries = this.entries.slice(Math.max(0, this.entries.length + offset));
    } else if (offset > 0) {
      this.entries = this.entries.filter(
        (e) =>
          !(e.update.update_id < offset && (!e.redelivered || (e.handedOutIn !== undefined && e.handedOutIn < callNo))),
      );
    }
    if (this.entries.length !== before) this.hooks.onChange();
  }

  private take(limit: number, callNo: number): Update[] {
    const out: QueuedUpdate[] = [];
    for (const e of this.entries) {
      if (out.length >= limit) break;
      // A redelivered (lower-id) update travels alone: batched behind higher ids it would move the
      // client's offset backwards and make those repeat too.
      if (e.redelivered && out.length > 0) break;
      out.push(e);
      if (e.redelivered) break;
    }
    for (const e of out) e.handedOutIn = callNo;
    if (out.length > 0) this.hooks.onHandedOut(out.map((e) => e.update.update_id));
    return out.map((e) => e.update);
  }
}
