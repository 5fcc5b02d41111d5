import type { LimitOptions } from './types';

/**
 * Telegram's flood control as the Bot FAQ describes it: ~30 messages/s overall, ~1 message/s per chat
 * with short bursts, 20 messages/min per group. Checks happen before a send and only successful sends
 * are counted, so a rejected request never consumes budget.
 */
export class RateLimiter {
  private global: number[] = [];
  private buckets = new Map<number, { tokens: number; at: number }>();
  private groups = new Map<number, number[]>();

  constructor(
    private limits: LimitOptions = { enforce: false },
    private readonly now: () => number = Date.now,
  ) {}

  setLimits(limits: LimitOptions): void {
    this.limits = limits;
  }

  get enforced(): boolean {
    return this.limits.enforce;
  }

  /** Seconds the caller must wait (>= 1), or 0 when a send into `chatId` is within budget now. */
  check(chatId: number): number {
    if (!this.limits.enforce) return 0;
    const now = this.now();
    let waitMs = 0;

    const globalLimit = this.limits.globalPerSecond ?? 30;
    this.global = this.global.filter((t) => t > now - 1000);
    if (this.global.length >= globalLimit) waitMs = Math.max(waitMs, this.global[this.global.length - globalLimit] + 1000 - now);

    const bucket = this.refill(chatId, now);
    if (bucket.tokens < 1) waitMs = Math.max(waitMs, ((1 - bucket.tokens) / this.perChatRate(chatId)) * 1000);

    if (chatId < 0) {
      const groupLimit = this.limits.perGroupPerMinute ?? 20;
      const times = (this.groups.get(chatId) ?? []).filter((t) => t > now - 60_000);
      this.groups.set(chatId, times);
      if (times.length >= groupLimit) waitMs = Math.max(waitMs, times[times.length - groupLimit] + 60_000 - now);
    }
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  /** Records `count` messages sent into `chatId`. */
  consume(chatId: number, count = 1): void {
    const now = this.now();
    for (let k = 0; k < count; k++) this.global.push(now);
    const bucket = this.refill(chatId, now);
    bucket.tokens -= count;
    if (chatId < 0) {
      const times = this.groups.get(chatId) ?? [];
      for (let k = 0; k < count; k++) times.push(now);
      this.groups.set(chatId, times);
    }
  }

  reset(): void {
    this.global = [];
    this.buckets.clear();
    this.groups.clear();
  }

  private perChatRate(chatId: number): number {
    const perChat = this.limits.perChatPerSecond ?? 1;
    return chatId < 0 ? (this.limits.perGroupPerSecond ?? perChat) : perChat;
  }

  private refill(chatId: number, now: number): { tokens: number; at: number } {
    const burst = this.limits.perChatBurst ?? 3;
    let bucket = this.buckets.get(chatId);
    if (!bucket) {
      bucket = { tokens: burst, at: now };
      this.buckets.set(chatId, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perChatRate(chatId));
    bucket.at = now;
    return bucket;
  }
}
