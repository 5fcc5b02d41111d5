import { BudgetLimits, Claims, Member, canRaise, commitment, drainMs, fairPart, lowered, plan, raised } from './budget-shares';

const limits: BudgetLimits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerSecond: 1, perGroupPerMinute: 20 };
const G = '-1001';

function member(overrides: Partial<Member> & { id: string }): Member {
  return { ageMs: 100, left: false, caps: { global: 0, groups: {} }, used: { global: 0, groups: {} }, peers: ['me'], ...overrides };
}
const claims = (global: number, group?: number): Claims => ({ global, groups: group === undefined ? {} : { [G]: group } });

describe('plan', () => {
  it('gives an instance alone every limit whole, at once', () => {
    const p = plan('me', [], [G], limits);
    expect(p).toEqual({ instances: 1, fair: claims(30, 20), room: claims(30, 20), paceDivisor: 1, acknowledged: true, crowded: false });
  });

  it('halves the limits for two live instances, and leaves the newcomer only what the other does not hold', () => {
    // The other has not seen the newcomer yet: it still holds the whole of both limits.
    expect(plan('me', [member({ id: 'a', caps: claims(30, 20), peers: [] })], [G], limits)).toMatchObject({
      instances: 2,
      fair: claims(15, 10),
      room: claims(0, 0),
      paceDivisor: 2,
      acknowledged: false,
      crowded: true,
    });
    // It has lowered its caps, but sent 14 to the group in the last minute under the old one: they still count.
    expect(plan('me', [member({ id: 'a', caps: claims(15, 10), used: claims(3, 14) })], [G], limits).room).toEqual(claims(15, 6));
    expect(plan('me', [member({ id: 'a', caps: claims(15, 10), used: claims(3, 4) })], [G], limits)).toMatchObject({ room: claims(15, 10), acknowledged: true });
  });

  it('splits into whole messages that add up to no more than the limit', () => {
    const others = [member({ id: 'a' }), member({ id: 'b' })];
    const p = plan('me', others, [G], limits);
    expect(p.fair).toEqual(claims(10, 6));
    expect(fairPart(20, 3) * 3).toBeLessThanOrEqual(20);
  });

  it('counts a dead instance by what it sent and what its pace allowed before it stopped, until that has left the window', () => {
    const dead = (ageMs: number) => member({ id: 'dead', ageMs, caps: claims(30, 20), used: claims(12, 2) });
    // Departed (no heartbeat for 3 s): the survivor is alone; the dead one sent 2, and at most 3 + 1/s × 2 s more.
    expect(plan('me', [dead(3500)], [G], limits)).toMatchObject({ instances: 1, fair: claims(30, 20), room: claims(0, 13) });
    // Its overall second is over a second after it stopped; its group minute a minute after.
    expect(plan('me', [dead(4500)], [G], limits).room).toEqual(claims(30, 13));
    expect(plan('me', [dead(2000 + 61_000)], [G], limits).room).toEqual(claims(30, 20));
  });

  it('counts an instance that left by what it had sent', () => {
    const left = member({ id: 'left', left: true, ageMs: 500, caps: claims(0, 0), used: claims(2, 9) });
    expect(plan('me', [left], [G], limits)).toMatchObject({ instances: 1, room: claims(28, 11), paceDivisor: 2, crowded: true });
  });

  it('keeps dividing each chat’s pace by a departed instance until its sends to a chat have drained', () => {
    const gone = (ageMs: number) => member({ id: 'left', left: true, ageMs });
    expect(drainMs(limits)).toBe(4000);
    expect(plan('me', [gone(3900)], [G], limits).paceDivisor).toBe(2);
    expect(plan('me', [gone(4100)], [G], limits)).toMatchObject({ paceDivisor: 1, crowded: false });
  });

  it('claims every group the others have sent to', () => {
    const p = plan('me', [member({ id: 'a', caps: claims(15, 10), used: { global: 0, groups: { '-1002': 4 } } })], [G], limits);
    expect(p.room.groups).toEqual({ [G]: 10, '-1002': 10 });
  });

  it('never lets a raise take more than the others leave free, whatever their rows say', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const others = Array.from({ length: random(4) }, (_, i) =>
        member({
          id: `m${i}`,
          ageMs: [100, 2500, 3500, 5000, 70_000][random(5)],
          left: random(4) === 0,
          caps: claims(random(31), random(21)),
          used: claims(random(31), random(21)),
        }),
      );
      const p = plan('me', others, [G], limits);
      const taken = (scope: Parameters<typeof commitment>[1]) => others.reduce((sum, m) => sum + commitment(m, scope, limits), 0);
      expect(p.room.global).toBeLessThanOrEqual(Math.max(0, 30 - taken({ kind: 'global' })));
      expect(p.room.groups[G]).toBeLessThanOrEqual(Math.max(0, 20 - taken({ kind: 'group', id: G })));
      expect(p.room.global).toBeLessThanOrEqual(p.fair.global);
    }
  });
});

describe('lowered, raised, canRaise', () => {
  it('lowers to the fair part and raises to the room, each only one way', () => {
    expect(lowered(claims(30, 20), claims(15, 10))).toEqual(claims(15, 10));
    expect(lowered(claims(5, 3), claims(15, 10))).toEqual(claims(5, 3));
    expect(raised(claims(5, 3), claims(15, 2))).toEqual(claims(15, 3));
    expect(canRaise(claims(15, 10), claims(15, 10))).toBe(false);
    expect(canRaise(claims(15, 9), claims(15, 10))).toBe(true);
    expect(canRaise(claims(0), claims(0, 1))).toBe(true);
  });
});
