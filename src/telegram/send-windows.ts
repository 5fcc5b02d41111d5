/**
 * The counting behind the send scheduler: Telegram's limits, a sliding window (the overall second, a
 * group's minute) and a chat's pace bucket. Pure arithmetic on a clock the caller passes in.
 */

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
