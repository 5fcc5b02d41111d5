import type { Lane } from './telegram.gateway';

export interface SendLimits {
  /** Messages per second over all chats (Telegram: about 30). */
  globalPerSecond: number;
  /** Messages per second into one chat (Telegram: 1, short bursts allowed). */
  perChatPerSecond: number;
  perChatBurst: number;
  /** Messages per second into one group; defaults to perChatPerSecond. */
  perGroupPerSecond?: number;
  /** Messages per minute into one group (Telegram: 20). */
  perGroupPerMinute: number;
}

export const TELEGRAM_LIMITS: SendLimits = {
  globalPerSecond: 30,
  perChatPerSecond: 1,
  perChatBurst: 3,
  perGroupPerMinute: 20,
};

/**
 * A bucket that never exceeds `limit` sends in any window of `windowMs` (Telegram counts in sliding
 * windows): a burst of `burst`, then the rest of the budget spread evenly.
 */
function windowBucket(limit: number, windowMs: number, now: number): TokenBucket {
  const burst = Math.max(1, Math.min(Math.floor(limit / 10), limit - 1));
  return new TokenBucket(burst, Math.max(limit - burst, 1) / windowMs, now);
}

/** A token bucket: `capacity` tokens, refilled continuously at `perMs` tokens per millisecond. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private blockedUntil = 0;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Milliseconds until a token is available (0: available now). */
  waitMs(now: number): number {
    this.refill(now);
    if (now < this.blockedUntil) return this.blockedUntil - now;
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  /** Telegram said "retry after": nothing goes through until then; then one send, and the bucket refills from empty. */
  block(now: number, ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, now + ms);
    this.tokens = 1;
    this.updatedAt = this.blockedUntil;
  }

  get idle(): boolean {
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    if (now <= this.updatedAt) return;
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs);
    this.updatedAt = now;
  }
}

interface Waiter {
  chatId: number;
  lane: Lane;
  seq: number;
  resolve: () => void;
}

const LANE_ORDER: Record<Lane, number> = { customer: 0, group: 1 };

/**
 * Hands out send slots so that Telegram's limits are kept before Telegram enforces them. Waiting
 * sends are served by lane (customer-facing first), then in arrival order; a send that waits only for
 * its own chat's bucket never holds up sends to other chats.
 */
export class SendScheduler {
  private readonly global: TokenBucket;
  private readonly chats = new Map<number, TokenBucket[]>();
  private readonly waiters: Waiter[] = [];
  private seq = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly limits: SendLimits = TELEGRAM_LIMITS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.global = windowBucket(limits.globalPerSecond, 1000, clock());
  }

  acquire(chatId: number, lane: Lane): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ chatId, lane, seq: this.seq++, resolve });
      this.waiters.sort((a, b) => LANE_ORDER[a.lane] - LANE_ORDER[b.lane] || a.seq - b.seq);
      this.pump();
    });
  }

  /** A 429 for this chat: hold its sends for `seconds`. */
  penalize(chatId: number, seconds: number): void {
    for (const bucket of this.buckets(chatId)) bucket.block(this.clock(), seconds * 1000);
  }

  get pending(): number {
    return this.waiters.length;
  }

  private buckets(chatId: number): TokenBucket[] {
    let buckets = this.chats.get(chatId);
    if (!buckets) {
      const now = this.clock();
      const { perChatPerSecond, perChatBurst, perGroupPerMinute } = this.limits;
      // Group and supergroup ids are negative; private chats are the user's (positive) id.
      buckets =
        chatId < 0
          ? [
              new TokenBucket(perChatBurst, (this.limits.perGroupPerSecond ?? perChatPerSecond) / 1000, now),
              windowBucket(perGroupPerMinute, 60_000, now),
            ]
          : [new TokenBucket(perChatBurst, perChatPerSecond / 1000, now)];
      this.chats.set(chatId, buckets);
    }
    return buckets;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let nextWake = Infinity;
    for (let i = 0; i < this.waiters.length; ) {
      const now = this.clock();
      const globalWait = this.global.waitMs(now);
      if (globalWait > 0) {
        nextWake = Math.min(nextWake, globalWait);
        break;
      }
      const waiter = this.waiters[i];
      const buckets = this.buckets(waiter.chatId);
      const chatWait = Math.max(...buckets.map((b) => b.waitMs(now)));
      if (chatWait > 0) {
        nextWake = Math.min(nextWake, chatWait);
        i++;
        continue;
      }
      this.global.take(now);
      for (const bucket of buckets) bucket.take(now);
      this.waiters.splice(i, 1);
      waiter.resolve();
    }
    this.forgetIdleChats();
    if (this.waiters.length && Number.isFinite(nextWake)) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, nextWake));
      this.timer.unref?.();
    }
  }

  private forgetIdleChats(): void {
    if (this.chats.size < 10_000) return;
    const now = this.clock();
    for (const [chatId, buckets] of this.chats) {
      if (buckets.every((bucket) => bucket.waitMs(now) === 0 && bucket.idle)) this.chats.delete(chatId);
    }
  }
}
