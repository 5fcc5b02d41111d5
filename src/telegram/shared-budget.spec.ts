import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import type { Claims, Member } from './budget-shares';
import type { BudgetRepository, BudgetView } from './repositories/budget.repository';
import { SendScheduler } from './send-scheduler';
import { SharedBudget } from './shared-budget.service';

/**
 * Instances sharing one budget, simulated on jest's clock: their schedulers and SharedBudgets are the
 * real ones, the table is kept in memory with the statements' meaning (a heartbeat writes one row and
 * reads the others; a raise happens under one lock), and "Telegram" records every granted send to check
 * its limits afterwards, while instances join, crash and leave.
 */
const GROUP = -1001;
const limits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerSecond: 1, perGroupPerMinute: 20 };
const config = { rateLimits: limits, supportChatId: GROUP, supportChatIds: [GROUP] } as unknown as AppConfig;
const LATENCY_MS = 40;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const clone = <T>(value: T): T => structuredClone(value);

interface Row {
  seenAt: number;
  left: boolean;
  caps: Claims;
  used: Claims;
  peers: string[];
}

/** `telegram_budget_members` and `telegram_chat_holds` in memory, on the fake clock. */
class MemoryTable {
  readonly rows = new Map<string, Row>();
  readonly holds = new Map<number, number>();
  private lock: Promise<unknown> = Promise.resolve();

  /** A repository as one instance sees the table; `reachable` false: every statement fails. */
  repository(link: { reachable: boolean }): BudgetRepository {
    const others = (me: string): Member[] =>
      [...this.rows]
        .filter(([id, row]) => id !== me && row.seenAt > performance.now() - 120_000)
        .map(([id, row]) => ({ id, ageMs: performance.now() - row.seenAt, left: row.left, caps: clone(row.caps), used: clone(row.used), peers: [...row.peers] }));
    const statement = async () => {
      await wait(5);
      if (!link.reachable) throw new Error('connection refused');
    };
    return {
      heartbeat: async (me: string, caps: Claims, used: Claims, peers: string[]): Promise<BudgetView> => {
        await statement();
        const view = { members: others(me), holds: [...this.holds].filter(([, until]) => until > performance.now()).map(([chatId, until]) => ({ chatId, ms: until - performance.now() })) };
        this.rows.set(me, { seenAt: performance.now(), left: false, caps: clone(caps), used: clone(used), peers: [...peers] });
        return view;
      },
      raise: async (me: string, decide: (others: Member[]) => Claims): Promise<Claims> => {
        const run = this.lock.then(async () => {
          await statement();
          const caps = decide(others(me));
          await wait(2);
          this.rows.get(me)!.caps = clone(caps);
          return caps;
        });
        this.lock = run.catch(() => undefined);
        return run;
      },
      hold: async (chatId: number, seconds: number) => {
        await statement();
        this.holds.set(chatId, Math.max(this.holds.get(chatId) ?? 0, performance.now() + seconds * 1000));
      },
      leave: async (me: string, used: Claims) => {
        await statement();
        Object.assign(this.rows.get(me)!, { seenAt: performance.now(), left: true, caps: { global: 0, groups: {} }, used: clone(used) });
      },
      close: async () => undefined,
    } as unknown as BudgetRepository;
  }
}

interface Sent {
  at: number;
  chatId: number;
  by: string;
}

/** One instance with its load: group work and customer-facing sends to chats every instance writes to. */
class Instance {
  readonly scheduler = new SendScheduler(limits);
  readonly link = { reachable: true };
  readonly budget: SharedBudget;
  private running = true;
  private seed: number;

  constructor(
    readonly name: string,
    table: MemoryTable,
    private readonly sent: Sent[],
    /** Customer chats every instance writes to (1..chats). */
    private readonly chats: number,
  ) {
    this.seed = name.charCodeAt(0);
    this.budget = new SharedBudget(config, this.scheduler, table.repository(this.link), new Metrics());
  }

  async start(): Promise<void> {
    const init = this.budget.onModuleInit();
    await jest.advanceTimersByTimeAsync(20);
    await init;
    for (let i = 0; i < 4; i++) void this.worker(() => GROUP, 'group');
    for (let i = 0; i < 12; i++) void this.worker(() => 1 + (this.random() % this.chats), 'customer');
  }

  /** The same run every time. */
  private random(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed >> 8;
  }

  /** SIGKILL: no more heartbeats, nothing more granted (what was in flight still lands). */
  crash(): void {
    this.running = false;
    this.link.reachable = false;
    this.scheduler.close(() => new Error('killed'));
  }

  async leave(): Promise<void> {
    this.running = false;
    this.scheduler.close(() => new Error('stopping'));
    const done = this.budget.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(LATENCY_MS + 20);
    await done;
  }

  private async worker(chat: () => number, lane: 'customer' | 'group'): Promise<void> {
    while (this.running) {
      const chatId = chat();
      let permit;
      try {
        permit = await this.scheduler.acquire(chatId, lane);
      } catch {
        return;
      }
      this.sent.push({ at: performance.now(), chatId, by: this.name });
      await wait(LATENCY_MS);
      permit.release(true);
    }
  }
}

/** The most sends of `list` (times, sorted) in any window of `windowMs`. */
function peak(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Telegram's bucket per chat: the first send that finds it without a token, or undefined. */
function overdrawn(sends: Sent[], burst: number, perSecond: (chatId: number) => number): Sent | undefined {
  const buckets = new Map<number, { tokens: number; at: number }>();
  for (const send of sends) {
    const bucket = buckets.get(send.chatId) ?? { tokens: burst, at: send.at };
    bucket.tokens = Math.min(burst, bucket.tokens + ((send.at - bucket.at) / 1000) * perSecond(send.chatId));
    bucket.at = send.at;
    if (bucket.tokens < 1 - 1e-9) return send;
    bucket.tokens -= 1;
    buckets.set(send.chatId, bucket);
  }
  return undefined;
}

beforeAll(() => Logger.overrideLogger(false));

describe('SharedBudget: instances that join, crash and leave keep one bot’s limits', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  // Few chats: each chat's pace is spent to the full. Many: the overall second is.
  it.each([
    { chats: 6, longestPauseMs: 4000 },
    { chats: 30, longestPauseMs: 2000 },
  ])('never lets their sends together exceed the overall second, a group’s minute or a chat’s pace, and keeps them sending ($chats chats)', async ({ chats, longestPauseMs }) => {
    const table = new MemoryTable();
    const sent: Sent[] = [];
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) await jest.advanceTimersByTimeAsync(100);
    };
    const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((name) => new Instance(name, table, sent, chats));

    await a.start();
    await run(20_000);
    await b.start();
    await run(30_000);
    await c.start();
    await run(40_000);
    const crashAt = performance.now();
    b.crash();
    await run(40_000);
    const leftAt = performance.now();
    await c.leave();
    await run(2_000);
    // A restart close behind the one that left: it starts beside A and the fresh trace of C.
    await d.start();
    await run(80_000);
    const endAt = performance.now();
    a.crash();
    d.crash();
    await run(1_000);

    sent.sort((x, y) => x.at - y.at);
    const group = sent.filter((s) => s.chatId === GROUP).map((s) => s.at);
    const customers = sent.filter((s) => s.chatId > 0);
    expect(peak(sent.map((s) => s.at), 1000)).toBeLessThanOrEqual(limits.globalPerSecond);
    expect(peak(group, 60_000)).toBeLessThanOrEqual(limits.perGroupPerMinute);
    expect(overdrawn(sent, limits.perChatBurst, (chatId) => (chatId < 0 ? limits.perGroupPerSecond : limits.perChatPerSecond))).toBeUndefined();

    // They kept the group's minute busy, and customers never waited more than a moment, across the crash and the leave.
    expect(group.length).toBeGreaterThan((((endAt - 20_000) / 60_000) * limits.perGroupPerMinute) * 0.8);
    const gaps = customers.slice(1).map((s, i) => s.at - customers[i].at);
    expect(Math.max(...gaps)).toBeLessThan(longestPauseMs);
    for (const from of [crashAt, leftAt]) expect(customers.filter((s) => s.at > from && s.at < from + 10_000).length).toBeGreaterThan(20);
    // Everyone got a part: the last to start sent to customers, and the survivor kept sending to the group after the crash.
    expect(customers.some((s) => s.by === 'D')).toBe(true);
    expect(sent.some((s) => s.by === 'A' && s.chatId === GROUP && s.at > crashAt + 60_000)).toBe(true);
  }, 60_000);

  it('shares a 429 one instance met, and stops an instance that cannot reach the table within 2 s', async () => {
    const table = new MemoryTable();
    const sent: Sent[] = [];
    const [a, b] = ['A', 'B'].map((name) => new Instance(name, table, sent, 10));
    await a.start();
    await b.start();
    await jest.advanceTimersByTimeAsync(2000);
    a.scheduler.penalize(7, 5);
    await jest.advanceTimersByTimeAsync(600);
    expect(b.scheduler.heldMs(7)).toBeGreaterThan(4000);

    b.link.reachable = false;
    await jest.advanceTimersByTimeAsync(2000);
    const stoppedAt = performance.now();
    await jest.advanceTimersByTimeAsync(3000);
    expect(sent.filter((s) => s.by === 'B' && s.at > stoppedAt)).toEqual([]);
    // Back: seen again, its part raised, and its chats' buckets (empty: A spent them meanwhile) refilled for one send.
    b.link.reachable = true;
    await jest.advanceTimersByTimeAsync(5000);
    expect(sent.some((s) => s.by === 'B' && s.at > stoppedAt + 3000)).toBe(true);
    a.crash();
    b.crash();
  });
});
