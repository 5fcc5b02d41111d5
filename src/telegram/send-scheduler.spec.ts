import { SendScheduler, TokenBucket } from './send-scheduler';

/** A clock the test moves by hand, with the scheduler's timers driven by jest's fake timers. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    advance: async (ms: number) => {
      now += ms;
      await jest.advanceTimersByTimeAsync(ms);
    },
  };
}

const limits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerMinute: 20 };

describe('TokenBucket', () => {
  it('allows a burst, then one token per interval', () => {
    const bucket = new TokenBucket(3, 1 / 1000, 0);
    for (let i = 0; i < 3; i++) {
      expect(bucket.waitMs(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.waitMs(0)).toBe(1000);
    expect(bucket.waitMs(1000)).toBe(0);
  });

  it('stays closed for retry_after after a 429', () => {
    const bucket = new TokenBucket(3, 1 / 1000, 0);
    bucket.block(0, 5000);
    expect(bucket.waitMs(4999)).toBe(1);
    expect(bucket.waitMs(6000)).toBe(0);
  });
});

describe('SendScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps one private chat at its burst, then one per second', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const granted: number[] = [];
    for (let i = 0; i < 5; i++) void scheduler.acquire(42, 'customer').then(() => granted.push(clock.now()));
    await clock.advance(0);
    expect(granted).toEqual([0, 0, 0]);
    await clock.advance(1000);
    expect(granted).toHaveLength(4);
    await clock.advance(1000);
    expect(granted).toHaveLength(5);
  });

  it('serves customer-facing sends before a backlog of group traffic', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, globalPerSecond: 10 }, clock.now);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) void scheduler.acquire(-100 - i, 'group').then(() => order.push(`group${i}`));
    await clock.advance(0);
    expect(order).toEqual(['group0']);
    void scheduler.acquire(7, 'customer').then(() => order.push('ack'));
    await clock.advance(150);
    expect(order).toEqual(['group0', 'ack']);
    await clock.advance(150);
    expect(order).toEqual(['group0', 'ack', 'group1']);
  });

  it('does not let one throttled chat hold up another', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) void scheduler.acquire(-1001, 'group').then(() => order.push('group'));
    void scheduler.acquire(-1002, 'group').then(() => order.push('other'));
    await clock.advance(0);
    expect(order).toEqual(['group', 'group', 'other']);
  });

  it('never sends more than the per-minute budget into a group in any minute', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const granted: number[] = [];
    for (let i = 0; i < 60; i++) void scheduler.acquire(-1001, 'group').then(() => granted.push(clock.now()));
    for (let t = 0; t < 180; t++) await clock.advance(1000);
    for (const start of granted) expect(granted.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(20);
    expect(granted.length).toBeGreaterThanOrEqual(55);
  });

  it('holds a chat after a 429 for retry_after', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    scheduler.penalize(5, 3);
    let granted = false;
    void scheduler.acquire(5, 'customer').then(() => (granted = true));
    await clock.advance(2900);
    expect(granted).toBe(false);
    await clock.advance(200);
    expect(granted).toBe(true);
  });
});
