import { randomUUID } from 'node:crypto';
import type { Claims } from '../../src/telegram/budget-shares';
import { BudgetRepository } from '../../src/telegram/repositories/budget.repository';
import { MediumContext, newMediumContext } from './medium-context';

const claims = (global: number, group?: number): Claims => ({ global, groups: group === undefined ? {} : { '-1001': group } });

/** The shared Telegram budget's table against PostgreSQL: heartbeats, raises under the lock, holds, leaving. */
describe('BudgetRepository', () => {
  let ctx: MediumContext;
  const repositories: BudgetRepository[] = [];
  const repository = () => {
    const created = new BudgetRepository(ctx.dataSource);
    repositories.push(created);
    return created;
  };

  beforeAll(async () => {
    ctx = await newMediumContext();
  });
  afterAll(async () => {
    for (const created of repositories) await created.close();
    await ctx?.close();
  });

  it('writes a heartbeat and reads the other instances’ rows, not its own', async () => {
    const [a, b] = [repository(), repository()];
    const [idA, idB]: string[] = [randomUUID(), randomUUID()];
    expect((await a.heartbeat(idA, claims(30, 20), claims(2, 5), [])).members).toEqual([]);
    const view = await b.heartbeat(idB, claims(0), claims(0), [idA]);
    expect(view.members).toEqual([{ id: idA, ageMs: expect.any(Number), left: false, caps: claims(30, 20), used: claims(2, 5), peers: [] }]);
    expect(view.members[0].ageMs).toBeGreaterThanOrEqual(0);
    expect(view.members[0].ageMs).toBeLessThan(2000);
    expect((await a.heartbeat(idA, claims(15, 10), claims(0, 5), [idB])).members).toEqual([
      expect.objectContaining({ id: idB, caps: claims(0), peers: [idA] }),
    ]);
  });

  it('raises one instance at a time, each deciding on the rows as the other left them', async () => {
    const [a, b] = [repository(), repository()];
    const [idA, idB]: string[] = [randomUUID(), randomUUID()];
    await a.heartbeat(idA, claims(0), claims(0), []);
    await b.heartbeat(idB, claims(0), claims(0), []);
    // Each takes whatever the other left of 30 (rows of the other tests aside): together, never more than 30.
    const take = (others: { id: string; caps: Claims }[], mine: string) =>
      claims(30 - others.filter((m) => m.id !== mine && [idA, idB].includes(m.id)).reduce((sum, m) => sum + m.caps.global, 0));
    const [capsA, capsB] = await Promise.all([a.raise(idA, (others) => take(others, idA)), b.raise(idB, (others) => take(others, idB))]);
    expect(capsA.global + capsB.global).toBe(30);
    const rows = await ctx.sql<{ caps: Claims }>(`SELECT caps FROM telegram_budget_members WHERE instance_id = ANY($1::uuid[])`, [[idA, idB]]);
    expect(rows.map((row) => row.caps.global).sort((x, y) => x - y)).toEqual([capsA.global, capsB.global].sort((x, y) => x - y));
  });

  it('shares a hold for as long as the longest 429 said, and shows a left instance as left', async () => {
    const [a, b] = [repository(), repository()];
    const [idA, idB]: string[] = [randomUUID(), randomUUID()];
    await a.hold(777, 5);
    await b.hold(777, 1);
    await a.heartbeat(idA, claims(15), claims(3), []);
    await a.leave(idA, claims(4, 2));
    const view = await b.heartbeat(idB, claims(0), claims(0), []);
    expect(view.holds).toEqual([{ chatId: 777, ms: expect.any(Number) }]);
    expect(view.holds[0].ms).toBeGreaterThan(4000);
    expect(view.members.find((m) => m.id === idA)).toMatchObject({ left: true, caps: { global: 0, groups: {} }, used: claims(4, 2) });
  });
});
