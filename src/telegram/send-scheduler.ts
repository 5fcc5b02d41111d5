import type { Lane } from './telegram.gateway';

export interface SendLimits {
  /** Messages per second over all chats (Telegram: about 30), kept over any sliding second. */
  globalPerSecond: number;
  /** Messages per second into one chat (Telegram: 1, short bursts allowed). */
  perChatPerSecond: number;
  perChatBurst: number;
  /** Messages per second into one group; defaults to perChatPerSecond. */
  perGroupPerSecond?: number;
  /** Messages per minute into one group (Telegram: 20), kept over any sliding minute. */
  perGroupPerMinute: number;
}

export const TELEGRAM_LIMITS: SendLimits = {
  globalPerSecond: 30,
  perChatPerSecond: 1,
  perChatBurst: 3,
  perGroupPerMinute: 20,
};

/** One send counted in a window: in flight until Telegram answered, then counted from that moment. */
interface Slot {
  at: number;
}

/**
 * Telegram's own way of counting: at most `limit` sends in any `windowMs`. A send counts from the moment
 * Telegram answered it (it reached Telegram no later than that), and while it is in flight it counts
 * for sure; so the window here is never shorter than Telegram's, whatever the network's delay. When the
 * window has room a send goes at once; when not, at the moment the oldest slot leaves it.
 */
export class SlidingWindow {
  private slots: Slot[] = [];
  /** What the limit is when this instance holds its whole part of it (see setLimit). */
  private full: number;

  constructor(
    private limit: number,
    readonly windowMs: number,
  ) {
    this.full = limit;
  }

  /**
   * A new limit (a share of a budget several instances spend together). `full` is what it will be again
   * once a share being raised is raised: a batch larger than the limit waits for that, rather than
   * going into an empty window and overrunning what the others were left.
   */
  setLimit(limit: number, full = limit): void {
    this.limit = limit;
    this.full = Math.max(limit, full);
  }

  /** Milliseconds until `count` more sends fit (0: now; Infinity: not before the limit is raised or a send is answered). */
  waitMs(now: number, count = 1): number {
    this.prune(now);
    const limit = Math.floor(this.limit);
    if (limit < 1) return Infinity;
    if (count > limit) {
      if (limit < Math.floor(this.full)) return Infinity;
      // A batch larger than the whole limit goes into an empty window (Telegram then counts its debt).
      return this.slots.length ? this.waitMs(now, limit) : 0;
    }
    const over = this.slots.length + count - limit;
    if (over <= 0) return 0;
    const ends = this.slots.map((slot) => slot.at + this.windowMs).sort((a, b) => a - b);
    // The over-th slot to leave makes room; a slot still in flight (Infinity) waits for its answer.
    return Math.max(1, ends[over - 1] - now);
  }

  /** Counts `count` sends as in flight; `settle` (or `cancel`) tells how they ended. */
  take(count = 1): Slot[] {
    const taken = Array.from({ length: count }, () => ({ at: Infinity }));
    this.slots.push(...taken);
    return taken;
  }

  settle(slots: Slot[], now: number): void {
    for (const slot of slots) slot.at = now;
  }

  /** Telegram answered with an error: nothing was sent, the slots are free again. */
  cancel(slots: Slot[]): void {
    const gone = new Set(slots);
    this.slots = this.slots.filter((slot) => !gone.has(slot));
  }

  get inUse(): number {
    return this.slots.length;
  }

  /** Sends that would fit now (within this instance's share of the limit). */
  free(now: number): number {
    this.prune(now);
    return Math.max(0, Math.floor(this.limit) - this.slots.length);
  }

  /** Sends in the window now: in flight, or answered less than a window ago. */
  count(now: number): number {
    this.prune(now);
    return this.slots.length;
  }

  private prune(now: number): void {
    if (this.slots.some((slot) => slot.at + this.windowMs <= now)) this.slots = this.slots.filter((slot) => slot.at + this.windowMs > now);
  }
}

/**
 * Telegram's per-chat pace: a token bucket of `burst` at `perSecond` ("about one a second, short bursts
 * allowed"), kept as a theoretical arrival time (GCRA): each answered send moves it on by one interval,
 * from the moment Telegram answered (it reached Telegram no later than that, so the bucket here is never
 * fuller than Telegram's). Sends still in flight may reach Telegram at any moment: together with the new
 * ones they must fit what the bucket holds now. Safe whatever the network's delay, and as quick as a
 * bucket: after a burst, the next send goes one interval after the last answer.
 */
export class PaceBucket {
  /** When the bucket is full again (ms, the scheduler's clock); at or before now: full. */
  private tat = -Infinity;
  private inFlight = 0;

  constructor(
    public burst: number,
    private perSecond: number,
  ) {}

  /** A new pace (a share of a chat's pace several instances spend together); what was sent stays counted. */
  configure(burst: number, perSecond: number): void {
    this.burst = burst;
    this.perSecond = perSecond;
  }

  /** Counts the bucket as empty at `at`: it fills from then on at its pace (what others sent may have emptied Telegram's). */
  emptyAt(at: number): void {
    this.tat = Math.max(this.tat, at + (this.burst * 1000) / this.perSecond);
  }

  waitMs(now: number, count = 1): number {
    // A batch larger than the burst goes when a full bucket would let it start (Telegram then counts its
    // debt, which its answer adds to the arrival time).
    const admit = Math.min(count, this.burst);
    const room = this.burst - this.inFlight - admit;
    if (room < 0) return Infinity;
    const until = this.tat - (room * 1000) / this.perSecond;
    return until > now ? Math.ceil(until - now) : 0;
  }

  take(count: number): void {
    this.inFlight += count;
  }

  /** Answered: `count` intervals from now on; refused (nothing was sent): nothing counted. */
  release(count: number, sent: boolean, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - count);
    if (sent) this.tat = Math.max(this.tat, now) + (count * 1000) / this.perSecond;
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }
}

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

const LANE_ORDER: Record<Lane, number> = { customer: 0, group: 1 };
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
