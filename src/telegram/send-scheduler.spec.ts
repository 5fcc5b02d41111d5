import { SendPermit, SendScheduler } from './send-scheduler';
import type { Lane } from './telegram.gateway';
import { SlidingWindow } from './send-windows';

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

describe('SlidingWindow', () => {
  it('lets the whole limit through at once, then each slot again a window after its send was answered', () => {
    const window = new SlidingWindow(3, 1000);
    const slots = [0, 0, 0].map(() => {
      expect(window.waitMs(0)).toBe(0);
      return window.take();
    });
    // In flight, a slot never leaves the window.
    expect(window.waitMs(5000)).toBe(Infinity);
    window.settle(slots[0], 100);
    window.settle(slots[1], 300);
    expect(window.waitMs(400)).toBe(700);
    expect(window.waitMs(1100)).toBe(0);
    expect(window.waitMs(1100, 2)).toBe(200);
  });

  it('frees the slots of sends Telegram refused', () => {
    const window = new SlidingWindow(1, 60_000);
    const slot = window.take();
    window.cancel(slot);
    expect(window.waitMs(0)).toBe(0);
  });
});

describe('SendScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Acquires, records when granted, and releases as Telegram answering at once would. */
  const sender = (scheduler: SendScheduler, clock: ReturnType<typeof fakeClock>) => {
    const log: { name: string; at: number }[] = [];
    const send = (name: string, chatId: number, lane: Lane, options: { key?: string | number; count?: number; first?: boolean } = {}) =>
      scheduler.acquire(chatId, lane, options).then((permit: SendPermit) => {
        log.push({ name, at: clock.now() });
        permit.release(true);
      });
    return { log, send, names: () => log.map((entry) => entry.name) };
  };

  it('keeps one private chat at its burst of three, then one a second after the last answer', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const { log, send } = sender(scheduler, clock);
    for (let i = 0; i < 5; i++) void send(`m${i}`, 42, 'customer');
    await clock.advance(0);
    expect(log.map((e) => e.at)).toEqual([0, 0, 0]);
    await clock.advance(999);
    expect(log).toHaveLength(3);
    await clock.advance(1);
    expect(log).toHaveLength(4);
    await clock.advance(1000);
    expect(log.map((e) => e.at)).toEqual([0, 0, 0, 1000, 2000]);
  });

  it('holds a chat’s next send while its burst is in flight, then paces it from the answers', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const slow = await Promise.all([0, 1, 2].map(() => scheduler.acquire(42, 'customer')));
    const { log, send } = sender(scheduler, clock);
    void send('fourth', 42, 'customer');
    // Telegram may count the burst only when it arrives: nothing more goes before the answers.
    await clock.advance(5000);
    expect(log).toHaveLength(0);
    for (const permit of slow) permit.release(true);
    await clock.advance(999);
    expect(log).toHaveLength(0);
    await clock.advance(1);
    expect(log.map((e) => e.at)).toEqual([6000]);
  });

  it('keeps a chat saturated for minutes at its pace exactly: a burst long ago is never forgotten', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perGroupPerSecond: 2, perGroupPerMinute: 10_000 }, clock.now);
    const { log, send } = sender(scheduler, clock);
    for (let i = 0; i < 200; i++) void send(`m${i}`, -1001, 'group');
    await clock.advance(0);
    for (let t = 0; t < 1200; t++) await clock.advance(100);
    const at = log.map((e) => e.at);
    expect(at.slice(0, 3)).toEqual([0, 0, 0]);
    // After the burst of three, one every 500 ms: the i-th no earlier than (i - 2) × 500 ms.
    for (let i = 3; i < at.length; i++) expect(at[i]).toBeGreaterThanOrEqual((i - 2) * 500);
    expect(at.length).toBeGreaterThan(200 - 5);
  });

  it('paces a batch into one chat as a bucket would: the batch at once, the next when its debt is paid', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perGroupPerSecond: 10 }, clock.now);
    const { log, send } = sender(scheduler, clock);
    void send('batch of ten', -1001, 'group', { count: 10 });
    void send('next', -1001, 'group');
    await clock.advance(0);
    expect(log.map((e) => e.name)).toEqual(['batch of ten']);
    // Ten from a bucket of three leave it seven in debt; at 10 a second, one token is back after 0.8 s.
    await clock.advance(799);
    expect(log).toHaveLength(1);
    await clock.advance(1);
    expect(log.map((e) => e.name)).toEqual(['batch of ten', 'next']);
  });

  it('sends a burst that fits the overall second at once, and the rest as each slot leaves the window', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const { log, send } = sender(scheduler, clock);
    for (let i = 0; i < 45; i++) void send(`ack${i}`, 1000 + i, 'customer');
    await clock.advance(0);
    expect(log).toHaveLength(30);
    await clock.advance(999);
    expect(log).toHaveLength(30);
    await clock.advance(1);
    expect(log).toHaveLength(45);
  });

  it('gives a quiet group its whole minute: 20 sends as fast as its per-second pace allows, then waits for the window', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perGroupPerSecond: 100, perChatBurst: 100 }, clock.now);
    const { log, send } = sender(scheduler, clock);
    for (let i = 0; i < 25; i++) void send(`copy${i}`, -1001, 'group');
    await clock.advance(0);
    expect(log).toHaveLength(20);
    await clock.advance(59_999);
    expect(log).toHaveLength(20);
    await clock.advance(1);
    expect(log).toHaveLength(25);
  });

  it('never sends more than the per-minute budget into a group in any minute', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const { log, send } = sender(scheduler, clock);
    for (let i = 0; i < 60; i++) void send(`g${i}`, -1001, 'group');
    for (let t = 0; t < 180; t++) await clock.advance(1000);
    const granted = log.map((e) => e.at);
    for (const start of granted) expect(granted.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(20);
    expect(granted.length).toBe(60);
  });

  it('counts every message of a batch (copyMessages) against the windows', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perGroupPerSecond: 100, perChatBurst: 100 }, clock.now);
    const { log, send } = sender(scheduler, clock);
    void send('album', -1001, 'group', { count: 18 });
    void send('three', -1001, 'group', { count: 3 });
    void send('two', -1001, 'group', { count: 2 });
    await clock.advance(0);
    // 'two' would fit, but does not overtake 'three' (a batch waiting its turn is not passed for ever).
    expect(log.map((e) => e.name)).toEqual(['album']);
    await clock.advance(60_000);
    expect(log.map((e) => e.name)).toEqual(['album', 'three', 'two']);
  });

  it('serves customer-facing sends before a backlog of group traffic', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, globalPerSecond: 2 }, clock.now);
    const { send, names } = sender(scheduler, clock);
    for (let i = 0; i < 6; i++) void send(`group${i}`, -100 - i, 'group');
    await clock.advance(0);
    expect(names()).toEqual(['group0', 'group1']);
    void send('ack', 7, 'customer');
    await clock.advance(1000);
    expect(names()).toEqual(['group0', 'group1', 'ack', 'group2']);
  });

  it('serves the tickets waiting in the group lane in turn, so a new ticket is not kept behind a long backlog', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perChatBurst: 1, perGroupPerMinute: 1000 }, clock.now);
    const { send, names } = sender(scheduler, clock);
    // Ticket 1 has a backlog of 10 copies queued at once; ticket 2's topic comes after them.
    for (let i = 0; i < 10; i++) void send(`t1-${i}`, -1001, 'group', { key: 1 });
    void send('t2-topic', -1001, 'group', { key: 2 });
    void send('t3-topic', -1001, 'group', { key: 3 });
    for (let t = 0; t < 20; t++) await clock.advance(1000);
    expect(names().slice(0, 6)).toEqual(['t1-0', 't2-topic', 't3-topic', 't1-1', 't1-2', 't1-3']);
    expect(names()).toHaveLength(12);
  });

  it('sends a new ticket’s card (its first message) before the next ticket’s topic', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perChatBurst: 1, perGroupPerMinute: 1000 }, clock.now);
    const { send, names } = sender(scheduler, clock);
    void send('t1-topic', -1001, 'group', { key: 1 });
    void send('t2-topic', -1001, 'group', { key: 2 });
    void send('t3-topic', -1001, 'group', { key: 3 });
    await clock.advance(0);
    // Ticket 1's topic is there; its card comes next, ahead of tickets 2 and 3 (never served, so first in turn).
    void send('t1-card', -1001, 'group', { key: 1, first: true });
    for (let t = 0; t < 5; t++) await clock.advance(1000);
    expect(names()).toEqual(['t1-topic', 't1-card', 't2-topic', 't3-topic']);
  });

  it('sends a status icon only when no copy waits for its group, whenever it was asked for', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perChatBurst: 1, perGroupPerMinute: 1000 }, clock.now);
    const { send, names } = sender(scheduler, clock);
    // The group's one send of this second goes; then ticket 1's icon is asked for before tickets 2 and 3's copies.
    void send('t1-copy', -1001, 'group', { key: 1 });
    void send('t1-icon', -1001, 'status', { key: 1 });
    void send('t2-copy', -1001, 'group', { key: 2 });
    void send('t3-copy', -1001, 'group', { key: 3 });
    void send('other-group-icon', -1002, 'status', { key: 4 });
    await clock.advance(0);
    // Another group's icon is not held by this group's copies.
    expect(names()).toEqual(['t1-copy', 'other-group-icon']);
    await clock.advance(1000);
    // A copy that arrives while the icon waits goes ahead of it too.
    void send('t2-copy-2', -1001, 'group', { key: 2 });
    for (let t = 0; t < 4; t++) await clock.advance(1000);
    expect(names()).toEqual(['t1-copy', 'other-group-icon', 't2-copy', 't3-copy', 't2-copy-2', 't1-icon']);
  });

  it('does not let one throttled chat hold up another', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const { send, names } = sender(scheduler, clock);
    for (let i = 0; i < 4; i++) void send('group', -1001, 'group');
    void send('other', -1002, 'group');
    await clock.advance(0);
    expect(names()).toEqual(['group', 'group', 'group', 'other']);
  });

  it('holds a chat after a 429 for retry_after', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler(limits, clock.now);
    const { log, send } = sender(scheduler, clock);
    scheduler.penalize(5, 3);
    void send('after', 5, 'customer');
    await clock.advance(2900);
    expect(log).toHaveLength(0);
    await clock.advance(200);
    expect(log).toHaveLength(1);
  });

  it('gives back the slot of a send Telegram refused', async () => {
    const clock = fakeClock();
    const scheduler = new SendScheduler({ ...limits, perGroupPerMinute: 1 }, clock.now);
    const first = await scheduler.acquire(-1001, 'group');
    first.release(false);
    const granted: string[] = [];
    void scheduler.acquire(-1001, 'group').then(() => granted.push('second'));
    await clock.advance(0);
    expect(granted).toEqual(['second']);
  });

  describe('with a share of a budget spent by several instances', () => {
    const share = (global: number, group: number, paceDivisor = 1, fair = { global, group }) => ({
      global: { cap: global, fair: fair.global },
      groups: new Map([[-1001, { cap: group, fair: fair.group }]]),
      paceDivisor,
    });

    it('spends only its part of the overall second', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      scheduler.setShare(share(15, 10));
      const { log, send } = sender(scheduler, clock);
      for (let i = 0; i < 20; i++) void send(`ack${i}`, 1000 + i, 'customer');
      await clock.advance(0);
      expect(log).toHaveLength(15);
      await clock.advance(1000);
      expect(log).toHaveLength(20);
    });

    it('sends nothing while its part is nothing, and goes on the moment it is raised', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      scheduler.setShare(share(0, 0, 1, { global: 15, group: 10 }));
      const { log, send } = sender(scheduler, clock);
      void send('ack', 7, 'customer');
      void send('copy', -1001, 'group');
      void send('elsewhere', -1002, 'group');
      await clock.advance(5000);
      expect(log).toHaveLength(0);
      scheduler.setShare(share(15, 10, 1));
      await clock.advance(0);
      // A group with no part (not claimed yet) still waits.
      expect(log.map((e) => e.name)).toEqual(['ack', 'copy']);
    });

    it('keeps a batch larger than its part waiting until the part is raised, instead of overrunning the others', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler({ ...limits, perGroupPerSecond: 100, perChatBurst: 100 }, clock.now);
      scheduler.setShare(share(15, 3, 1, { global: 15, group: 10 }));
      const { log, send } = sender(scheduler, clock);
      void send('batch of ten', -1001, 'group', { count: 10 });
      await clock.advance(60_000);
      expect(log).toHaveLength(0);
      scheduler.setShare(share(15, 10));
      await clock.advance(0);
      expect(log.map((e) => e.name)).toEqual(['batch of ten']);
    });

    it('divides each chat’s pace and burst', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      scheduler.setShare(share(30, 20, 2));
      const { log, send } = sender(scheduler, clock);
      for (let i = 0; i < 3; i++) void send(`m${i}`, 42, 'customer');
      await clock.advance(0);
      for (let t = 0; t < 10; t++) await clock.advance(500);
      // A burst of one, then one every two seconds.
      expect(log.map((e) => e.at)).toEqual([0, 2000, 4000]);
    });

    it('starts a chat’s bucket empty when it begins to send beside others, who may just have spent Telegram’s', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      scheduler.setShare({ ...share(30, 20, 2), paceEmptyAt: 0 });
      const { log, send } = sender(scheduler, clock);
      for (let i = 0; i < 2; i++) void send(`m${i}`, 42, 'customer');
      await clock.advance(0);
      for (let t = 0; t < 10; t++) await clock.advance(500);
      // One interval of the divided pace (2 s) before the first; a chat first written to later has filled meanwhile.
      expect(log.map((e) => e.at)).toEqual([2000, 4000]);
      void send('later', 43, 'customer');
      await clock.advance(0);
      expect(log.at(-1)).toEqual({ name: 'later', at: 5000 });
    });

    it('stops granting when its share is no longer confirmed, and goes on when it is again', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      scheduler.setShare(share(15, 10));
      scheduler.extendShare(2000);
      const { log, send } = sender(scheduler, clock);
      void send('before', 1, 'customer');
      await clock.advance(2000);
      void send('after the deadline', 2, 'customer');
      await clock.advance(3000);
      expect(log.map((e) => e.name)).toEqual(['before']);
      scheduler.extendShare(7000);
      await clock.advance(0);
      expect(log.map((e) => e.name)).toEqual(['before', 'after the deadline']);
    });

    it('keeps counting what a chat got before its pace was divided', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      const { log, send } = sender(scheduler, clock);
      for (let i = 0; i < 3; i++) void send(`burst${i}`, 42, 'customer');
      await clock.advance(0);
      scheduler.setShare(share(30, 20, 2));
      for (let i = 0; i < 2; i++) void send(`later${i}`, 42, 'customer');
      for (let t = 0; t < 12; t++) await clock.advance(500);
      expect(log.map((e) => e.at)).toEqual([0, 0, 0, 3000, 5000]);
    });

    it('reports what it has in its windows', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      const open = await scheduler.acquire(-1001, 'group', { count: 2 });
      const done = await scheduler.acquire(7, 'customer');
      done.release(true);
      expect(scheduler.usage()).toEqual({ global: 3, groups: new Map([[-1001, 2]]) });
      open.release(true);
      await clock.advance(1000);
      expect(scheduler.usage()).toEqual({ global: 0, groups: new Map([[-1001, 2]]) });
      await clock.advance(59_000);
      expect(scheduler.usage()).toEqual({ global: 0, groups: new Map([[-1001, 0]]) });
    });

    it('holds a chat another instance met a 429 for, without reporting it as its own', async () => {
      const clock = fakeClock();
      const scheduler = new SendScheduler(limits, clock.now);
      const penalties: [number, number][] = [];
      scheduler.onPenalty((chatId, seconds) => penalties.push([chatId, seconds]));
      scheduler.hold(5, 2000);
      expect(scheduler.heldMs(5)).toBe(2000);
      scheduler.penalize(6, 3);
      expect(penalties).toEqual([[6, 3]]);
      const { log, send } = sender(scheduler, clock);
      void send('after', 5, 'customer');
      await clock.advance(1900);
      expect(log).toHaveLength(0);
      await clock.advance(100);
      expect(log).toHaveLength(1);
    });
  });
});
