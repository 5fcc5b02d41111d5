import { StatsRepository } from '../../src/tickets/repositories/stats.repository';
import { MediumContext, newMediumContext } from './medium-context';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms);

/** /stats on a seeded database: every figure against one computed by hand from the seed. */
describe('StatsRepository', () => {
  let ctx: MediumContext;
  let stats: StatsRepository;

  beforeAll(async () => {
    ctx = await newMediumContext();
    stats = new StatsRepository(ctx.dataSource);
  });
  afterAll(() => ctx?.close());

  it('counts, times and rates the tickets of the period, and only those', async () => {
    // In the last 7 days: four tickets opened.
    const a = await ctx.newTicket({ createdAt: ago(3 * DAY), category: 'payments' });
    await ctx.newMessage(a, { createdAt: ago(3 * DAY) });
    await ctx.newMessage(a, { direction: 'agent', createdAt: new Date(a.createdAt.getTime() + 10 * MINUTE) });
    await ctx.sql(`UPDATE tickets SET status = 'closed', closed_at = $2::timestamptz + interval '2 hours', closed_by = 'agent', rating = 5, rated_at = now() WHERE id = $1`, [
      a.id,
      a.createdAt,
    ]);
    const b = await ctx.newTicket({ createdAt: ago(2 * DAY), category: 'payments' });
    await ctx.newMessage(b, { createdAt: ago(2 * DAY) });
    await ctx.newMessage(b, { direction: 'agent', createdAt: new Date(b.createdAt.getTime() + 30 * MINUTE) });
    await ctx.newMessage(b, { direction: 'agent', createdAt: new Date(b.createdAt.getTime() + 50 * MINUTE) });
    await ctx.sql(`UPDATE tickets SET status = 'closed', closed_at = $2::timestamptz + interval '4 hours', closed_by = 'customer', rating = 2, rated_at = now() WHERE id = $1`, [
      b.id,
      b.createdAt,
    ]);
    const c = await ctx.newTicket({ createdAt: ago(1 * DAY), category: 'delivery' });
    await ctx.newMessage(c, { createdAt: ago(1 * DAY) });
    await ctx.newMessage(c, { direction: 'agent', createdAt: new Date(c.createdAt.getTime() + 90 * MINUTE) });
    const d = await ctx.newTicket({ createdAt: ago(2 * HOUR), category: 'other' });
    await ctx.newMessage(d, { createdAt: ago(2 * HOUR) });
    // Long before: opened, answered, closed and rated outside the period; still open counts as open now.
    const old = await ctx.newTicket({ createdAt: ago(40 * DAY), category: 'other' });
    await ctx.newMessage(old, { direction: 'agent', createdAt: ago(40 * DAY - MINUTE) });
    const oldClosed = await ctx.newTicket({ createdAt: ago(30 * DAY), category: 'other', status: 'closed', closedAt: ago(29 * DAY) });
    await ctx.sql(`UPDATE tickets SET rating = 1, rated_at = now() - interval '29 days' WHERE id = $1`, [oldClosed.id]);

    const week = await stats.since(7 * 86_400);
    // Open now: c (answered), d (waiting), old (answered). Waiting: d.
    expect(week).toMatchObject({ open: 3, waiting: 1, opened: 4, closed: 2, rated: 2 });
    // First answers of a, b, c: 10, 30, 90 minutes (d has none): median 30, p90 = 30 + 0.8 × 60 = 78 minutes.
    expect(week.firstAnswerMedianS).toBeCloseTo(30 * 60, 0);
    expect(week.firstAnswerP90S).toBeCloseTo(78 * 60, 0);
    // Closed a (2 h) and b (4 h): median 3 h.
    expect(week.closeMedianS).toBeCloseTo(3 * 3600, 0);
    expect(week.ratingAverage).toBeCloseTo(3.5, 5);
    expect(week.busiest).toEqual([
      { category: 'payments', subcategory: null, tickets: 2 },
      { category: 'delivery', subcategory: null, tickets: 1 },
      { category: 'other', subcategory: null, tickets: 1 },
    ]);

    const day = await stats.since(86_400);
    expect(day).toMatchObject({ opened: 1, closed: 0, firstAnswerMedianS: null, closeMedianS: null, busiest: [{ category: 'other', subcategory: null, tickets: 1 }] });
  });
});
