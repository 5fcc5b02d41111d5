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
    // The bot's own automatic answer: d still waits for the team and has no first answer.
    await ctx.newMessage(d, { via: 'ai-auto', createdAt: ago(2 * HOUR - MINUTE) });

    // Within 30 days, before the last 7: three tickets opened, and closed.
    // e: an automatic AI answer after 1 minute (not the team), then a ready answer after 45 minutes.
    const e = await ctx.newTicket({ createdAt: ago(10 * DAY), category: 'account' });
    await ctx.newMessage(e, { createdAt: e.createdAt });
    await ctx.newMessage(e, { via: 'ai-auto', createdAt: new Date(e.createdAt.getTime() + MINUTE) });
    await ctx.newMessage(e, { via: 'ready', createdAt: new Date(e.createdAt.getTime() + 45 * MINUTE) });
    await ctx.sql(`UPDATE tickets SET status = 'closed', closed_at = $2::timestamptz + interval '6 hours', closed_by = 'agent', rating = 3, rated_at = now() - interval '9 days' WHERE id = $1`, [
      e.id,
      e.createdAt,
    ]);
    // f: an AI draft an agent sent after 70 minutes.
    const f = await ctx.newTicket({ createdAt: ago(20 * DAY), category: 'account' });
    await ctx.newMessage(f, { createdAt: f.createdAt });
    await ctx.newMessage(f, { via: 'ai-draft', createdAt: new Date(f.createdAt.getTime() + 70 * MINUTE) });
    await ctx.sql(`UPDATE tickets SET status = 'closed', closed_at = $2::timestamptz + interval '10 hours', closed_by = 'agent' WHERE id = $1`, [f.id, f.createdAt]);
    // g: only an automatic AI answer, then closed by the customer after an hour: no first answer.
    const g = await ctx.newTicket({ createdAt: ago(15 * DAY), category: 'account' });
    await ctx.newMessage(g, { createdAt: g.createdAt });
    await ctx.newMessage(g, { via: 'ai-auto', createdAt: new Date(g.createdAt.getTime() + 5 * MINUTE) });
    await ctx.sql(`UPDATE tickets SET status = 'closed', closed_at = $2::timestamptz + interval '1 hour', closed_by = 'customer' WHERE id = $1`, [g.id, g.createdAt]);

    // Long before: opened, answered, closed and rated outside the period; still open counts as open now.
    const old = await ctx.newTicket({ createdAt: ago(40 * DAY), category: 'other' });
    await ctx.newMessage(old, { direction: 'agent', createdAt: ago(40 * DAY - MINUTE) });
    // Opened before 30 days, closed and rated within them (after 2 days).
    const oldClosed = await ctx.newTicket({ createdAt: ago(31 * DAY), category: 'other', status: 'closed', closedAt: ago(29 * DAY) });
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

    const month = await stats.since(30 * 86_400);
    // Opened: a, b, c, d, e, f, g. Closed: a, b, e, f, g and oldClosed. Rated: a 5, b 2, e 3, oldClosed 1.
    expect(month).toMatchObject({ open: 3, waiting: 1, opened: 7, closed: 6, rated: 4 });
    // First team answers of a, b, c, e (the ready answer), f (the sent draft): 10, 30, 90, 45, 70 minutes;
    // d and g have none (automatic answers only). Sorted 10, 30, 45, 70, 90: median 45,
    // p90 = 70 + 0.6 × (90 − 70) = 82 minutes.
    expect(month.firstAnswerMedianS).toBeCloseTo(45 * 60, 0);
    expect(month.firstAnswerP90S).toBeCloseTo(82 * 60, 0);
    // Closed after g 1 h, a 2 h, b 4 h, e 6 h, f 10 h, oldClosed 48 h: median (4 + 6) / 2 = 5 h.
    expect(month.closeMedianS).toBeCloseTo(5 * 3600, 0);
    expect(month.ratingAverage).toBeCloseTo((5 + 2 + 3 + 1) / 4, 5);
    expect(month.busiest).toEqual([
      { category: 'account', subcategory: null, tickets: 3 },
      { category: 'payments', subcategory: null, tickets: 2 },
      { category: 'delivery', subcategory: null, tickets: 1 },
    ]);

    const day = await stats.since(86_400);
    expect(day).toMatchObject({ opened: 1, closed: 0, firstAnswerMedianS: null, closeMedianS: null, busiest: [{ category: 'other', subcategory: null, tickets: 1 }] });
  });
});
