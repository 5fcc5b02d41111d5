import type { Lane } from './telegram.gateway';
import { PaceBucket, SendLimits, SlidingWindow, TELEGRAM_LIMITS } from './send-windows';

/** What a granted send holds until Telegram answered it. */
export interface SendPermit {
  /** Telegram answered: `sent` true (or the outcome is unknown), the slots count from now; false, they are free again. */
  release(sent: boolean): void;
}

export interface AcquireOptions {
  /** Messages this call posts (copyMessages, sendMediaGroup): each counts. */
  count?: number;
  /** Whose work this is (a ticket): within a lane, waiting keys are served in turn. */
  key?: string | number;
  /**
   * Ahead of its lane's turns: a new ticket's card, which carries the customer's first message, so a
   * ticket whose topic exists is finished before the next ticket's topic is opened.
   */
  first?: boolean;
}

/** One of a budget's limits as this instance may spend it now (see SendShare). */
export interface ShareOfLimit {
  /** What this instance may have in the window now. */
  cap: number;
  /** Its fair part, which `cap` is raised to when the others' recent sends allow. */
  fair: number;
}

/**
 * This instance's part of a Telegram budget that several instances spend together (see SharedBudget):
 * the overall second, each group's minute and each chat's pace. Without one, the scheduler spends the
 * whole of its limits (a single instance).
 */
export interface SendShare {
  global: ShareOfLimit;
  /** By group id. A group not listed gets nothing until it is (its sends wait). */
  groups: Map<number, ShareOfLimit>;
  /** Each chat's pace and burst are divided by this (the burst never below one). */
  paceDivisor: number;
  /**
   * When this instance began to send beside others (scheduler clock): every chat's bucket counts as
   * empty then, since the others may have just spent Telegram's. Unset: buckets start full.
   */
  paceEmptyAt?: number;
}

/** What this instance has in its windows now: sends in flight or answered less than a window ago. */
export interface SendUsage {
  global: number;
  /** By group id, every group this instance has sent to or waits to send to. */
  groups: Map<number, number>;
}

interface ChatLimits {
  /** The chat's burst and pace (see PaceBucket). */
  pace: PaceBucket;
  /** Groups only: the per-minute window. */
  minute?: SlidingWindow;
  blockedUntil: number;
}

interface Waiter {
  chatId: number;
  lane: Lane;
  seq: number;
  count: number;
  key?: string | number;
  first: boolean;
  resolve: (permit: SendPermit) => void;
  reject: (error: Error) => void;
}

const LANE_ORDER: Record<Lane, number> = { customer: 0, group: 1, status: 2 };
const FORGET_AFTER = 10_000;

/**
 * Hands out send slots so that Telegram's limits are kept before Telegram enforces them: the overall
 * second and each group's minute as sliding windows, each chat's burst and pace as a bucket, all of
 * them counted from Telegram's answers.
 * Waiting sends are served by lane (customer-facing first), then key by key in turn (a ticket with fifty
 * copies waiting does not keep a new ticket's topic behind them), then in arrival order; a send that
 * waits only for its own chat never holds up sends to other chats.
 */
export class SendScheduler {
  private readonly global: SlidingWindow;
  private readonly chats = new Map<number, ChatLimits>();
  private readonly waiters: Waiter[] = [];
  /** Keys by when they were last served, least recent first (a Map keeps insertion order). */
  private readonly served = new Map<string | number, number>();
  private seq = 0;
  private grants = 0;
  private closedWith?: () => Error;
  private timer?: NodeJS.Timeout;
  private share?: SendShare;
  private spendUntil?: number;
  private readonly penaltyListeners: ((chatId: number, seconds: number) => void)[] = [];

  constructor(
    private readonly limits: SendLimits = TELEGRAM_LIMITS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.global = new SlidingWindow(limits.globalPerSecond, 1000);
  }

  /** Spend only this part of the limits from now on (lowered at once; what was sent stays counted). */
  setShare(share: SendShare): void {
    this.share = share;
    this.global.setLimit(share.global.cap, share.global.fair);
    for (const [chatId, chat] of this.chats) this.configure(chatId, chat);
    this.pump();
  }

  /**
   * The share may be spent until `at` (scheduler clock) and no longer, unless extended: an instance that
   * cannot confirm its share with the others stops sending by a deadline they can count on.
   */
  extendShare(at: number): void {
    const wasStopped = this.spendUntil !== undefined && this.clock() >= this.spendUntil;
    this.spendUntil = at;
    if (wasStopped) this.pump();
  }

  usage(): SendUsage {
    const now = this.clock();
    const groups = new Map<number, number>();
    for (const [chatId, chat] of this.chats) if (chat.minute) groups.set(chatId, chat.minute.count(now));
    return { global: this.global.count(now), groups };
  }

  /** Called with every 429 this instance met (not with the holds of others, see hold). */
  onPenalty(listener: (chatId: number, seconds: number) => void): void {
    this.penaltyListeners.push(listener);
  }

  acquire(chatId: number, lane: Lane, options: AcquireOptions = {}): Promise<SendPermit> {
    if (this.closedWith) return Promise.reject(this.closedWith());
    return new Promise((resolve, reject) => {
      this.waiters.push({ chatId, lane, seq: this.seq++, count: Math.max(1, options.count ?? 1), key: options.key, first: options.first ?? false, resolve, reject });
      this.pump();
    });
  }

  /**
   * The app is stopping: every waiting send gives up with `reason()` (a job's work then comes back later,
   * here or on another instance), so nothing waits minutes for a slot while the process should exit.
   */
  close(reason: () => Error): void {
    this.closedWith = reason;
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) waiter.reject(reason());
  }

  /** A 429 for this chat: hold its sends for `seconds`. */
  penalize(chatId: number, seconds: number): void {
    this.hold(chatId, seconds * 1000);
    for (const listener of this.penaltyListeners) listener(chatId, seconds);
  }

  /** Holds a chat's sends for `ms` (a 429 another instance met for it). */
  hold(chatId: number, ms: number): void {
    const chat = this.chat(chatId);
    chat.blockedUntil = Math.max(chat.blockedUntil, this.clock() + ms);
    this.pump();
  }

  /**
   * How many more sends the group's minute could take now, less those already waiting for it: a new
   * ticket goes to the group where it would wait least.
   */
  headroom(chatId: number): number {
    const chat = this.chat(chatId);
    const minute = chat.minute?.free(this.clock()) ?? Infinity;
    return (this.clock() < chat.blockedUntil ? 0 : minute) - this.pending(chatId);
  }

  /** Milliseconds this chat is still held for after a 429 (0: not held). */
  heldMs(chatId: number): number {
    const chat = this.chats.get(chatId);
    return chat ? Math.max(0, chat.blockedUntil - this.clock()) : 0;
  }

  /** Sends waiting for a slot, in all chats or in one. */
  pending(chatId?: number): number {
    return chatId === undefined ? this.waiters.length : this.waiters.filter((w) => w.chatId === chatId).length;
  }

  private chat(chatId: number): ChatLimits {
    let chat = this.chats.get(chatId);
    if (!chat) {
      const { perChatPerSecond, perChatBurst, perGroupPerMinute } = this.limits;
      // Group and supergroup ids are negative; private chats are the user's (positive) id.
      const perSecond = chatId < 0 ? (this.limits.perGroupPerSecond ?? perChatPerSecond) : perChatPerSecond;
      chat = {
        pace: new PaceBucket(perChatBurst, perSecond),
        minute: chatId < 0 ? new SlidingWindow(perGroupPerMinute, 60_000) : undefined,
        blockedUntil: 0,
      };
      this.configure(chatId, chat);
      this.chats.set(chatId, chat);
    }
    return chat;
  }

  /** Applies this instance's share (if any) to a chat's limits. */
  private configure(chatId: number, chat: ChatLimits): void {
    const share = this.share;
    if (!share) return;
    const { perChatPerSecond, perChatBurst } = this.limits;
    const perSecond = chatId < 0 ? (this.limits.perGroupPerSecond ?? perChatPerSecond) : perChatPerSecond;
    const divisor = Math.max(1, share.paceDivisor);
    chat.pace.configure(Math.max(1, Math.floor(perChatBurst / divisor)), perSecond / divisor);
    if (share.paceEmptyAt !== undefined) chat.pace.emptyAt(share.paceEmptyAt);
    const group = share.groups.get(chatId) ?? { cap: 0, fair: 0 };
    chat.minute?.setLimit(group.cap, group.fair);
  }

  private chatWaitMs(chat: ChatLimits, now: number, count: number): number {
    if (now < chat.blockedUntil) return chat.blockedUntil - now;
    return Math.max(chat.pace.waitMs(now, count), chat.minute?.waitMs(now, count) ?? 0);
  }

  private order(a: Waiter, b: Waiter): number {
    const turn = (w: Waiter) => (w.key === undefined ? -1 : (this.served.get(w.key) ?? -1));
    return LANE_ORDER[a.lane] - LANE_ORDER[b.lane] || Number(b.first) - Number(a.first) || turn(a) - turn(b) || a.seq - b.seq;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let nextWake = Infinity;
    for (;;) {
      const now = this.clock();
      // A share no longer confirmed is spent no more (checked here, not by a timer a busy event loop may run late).
      if (this.spendUntil !== undefined && now >= this.spendUntil) break;
      const queue = [...this.waiters].sort((a, b) => this.order(a, b));
      let granted: Waiter | undefined;
      // A chat's first waiter in order holds that chat's later ones (a batch is not overtaken for ever).
      const heldChats = new Set<number>();
      for (const waiter of queue) {
        if (heldChats.has(waiter.chatId)) continue;
        const globalWait = this.global.waitMs(now, waiter.count);
        if (globalWait > 0) {
          // The overall window is full: nobody behind this waiter may take its place.
          nextWake = Math.min(nextWake, globalWait);
          break;
        }
        const chatWait = this.chatWaitMs(this.chat(waiter.chatId), now, waiter.count);
        if (chatWait > 0) {
          nextWake = Math.min(nextWake, chatWait);
          heldChats.add(waiter.chatId);
          continue;
        }
        granted = waiter;
        break;
      }
      if (!granted) break;
      this.grant(granted, now);
    }
    this.forget();
    if (this.waiters.length && Number.isFinite(nextWake)) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, nextWake));
      this.timer.unref?.();
    }
  }

  private grant(waiter: Waiter, now: number): void {
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    const chat = this.chat(waiter.chatId);
    chat.pace.take(waiter.count);
    const globalSlots = this.global.take(waiter.count);
    const minuteSlots = chat.minute?.take(waiter.count) ?? [];
    if (waiter.key !== undefined) {
      this.served.delete(waiter.key);
      this.served.set(waiter.key, this.grants++);
    }
    let released = false;
    waiter.resolve({
      release: (sent: boolean) => {
        if (released) return;
        released = true;
        if (sent) {
          const at = this.clock();
          this.global.settle(globalSlots, at);
          chat.minute?.settle(minuteSlots, at);
        } else {
          this.global.cancel(globalSlots);
          chat.minute?.cancel(minuteSlots);
        }
        chat.pace.release(waiter.count, sent, this.clock());
        this.pump();
      },
    });
  }

  private forget(): void {
    while (this.served.size > FORGET_AFTER) this.served.delete(this.served.keys().next().value!);
    if (this.chats.size < FORGET_AFTER) return;
    const now = this.clock();
    for (const [chatId, chat] of this.chats) {
      if (now >= chat.blockedUntil && chat.pace.waitMs(now, chat.pace.burst) === 0 && !chat.minute?.inUse) this.chats.delete(chatId);
    }
  }
}
