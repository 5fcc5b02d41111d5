import { AppConfig } from '../../src/config/app-config';
import { RetentionRepository } from '../../src/operations/repositories/retention.repository';
import { RetentionService } from '../../src/operations/retention.service';
import { CategoryCatalog } from '../../src/tickets/category-catalog.service';
import { MediumContext, newMediumContext } from './medium-context';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/** UPDATE_RETENTION=7d and TICKET_RETENTION=90d against PostgreSQL: exactly the old rows go, nothing else. */
describe('RetentionService', () => {
  let ctx: MediumContext;
  let service: RetentionService;

  beforeAll(async () => {
    ctx = await newMediumContext();
    service = retention(ctx.config({ UPDATE_RETENTION: '7d', TICKET_RETENTION: '90d', SUPPORT_LANGUAGE: 'en' }));
  });
  const retention = (config: AppConfig) => new RetentionService(config, new RetentionRepository(ctx.dataSource), new CategoryCatalog(config));
  afterAll(() => ctx?.close());

  const ids = async (sql: string) => (await ctx.sql<{ id: string }>(sql)).map((row) => Number(row.id));

  it('deletes the processed-update ids older than UPDATE_RETENTION, in batches, and keeps the younger ones', async () => {
    // More old rows than one batch holds.
    await ctx.sql(`INSERT INTO telegram_updates (update_id, kind, received_at) SELECT g, 'message', now() - interval '8 days' FROM generate_series(1, 12000) g`);
    await ctx.sql(`INSERT INTO telegram_updates (update_id, kind, received_at) VALUES (20001, 'message', now() - interval '6 days'), (20002, 'start', now())`);

    const result = await service.prune();

    expect(result.updates).toBe(12000);
    expect(await ids(`SELECT update_id AS id FROM telegram_updates ORDER BY update_id`)).toEqual([20001, 20002]);
  });

  it('deletes inbox rows handled or parked longer ago, never one still to be handled', async () => {
    const payload = JSON.stringify({ update_id: 0 });
    await ctx.sql(
      `INSERT INTO telegram_inbox (update_id, chat_key, payload, received_at, handled_at, parked_at) VALUES
         (31, '1', $1, now() - interval '9 days', now() - interval '8 days', NULL),
         (32, '1', $1, now() - interval '9 days', now() - interval '6 days', NULL),
         (33, '2', $1, now() - interval '9 days', NULL, now() - interval '8 days'),
         (34, '2', $1, now() - interval '9 days', NULL, now() - interval '1 day'),
         (35, '3', $1, now() - interval '30 days', NULL, NULL)`,
      [payload],
    );

    const result = await service.prune();

    expect(result.inbox).toBe(2);
    expect(await ids(`SELECT update_id AS id FROM telegram_inbox ORDER BY update_id`)).toEqual([32, 34, 35]);
  });

  it('erases the texts of tickets closed longer ago than TICKET_RETENTION and keeps the tickets, their messages and the rest', async () => {
    const old = await ctx.newTicket({ status: 'closed', closedAt: ago(100), category: 'payments', subcategory: 'refund' });
    await ctx.newMessage(old, { text: 'my card number is 4111' });
    await ctx.newMessage(old, { direction: 'agent', text: 'refunded' });
    // The topic's title and the AI's are made of the customer's words, and so is the comment on the rating.
    await ctx.sql(
      `UPDATE tickets SET ai_answer = 'an answer from the knowledge base', title = '#' || id || ' · Payments and refunds › Refund · my card number is 4111',
              ai_title = '#' || id || ' · Card 4111 charged twice', ai_title_state = 'ready', rating = 2, rated_at = now() - interval '99 days',
              rating_comment = 'nobody called me back about card 4111' WHERE id = $1`,
      [old.id],
    );
    const recent = await ctx.newTicket({ status: 'closed', closedAt: ago(10) });
    await ctx.newMessage(recent, { text: 'closed ten days ago' });
    await ctx.sql(`UPDATE tickets SET title = 'closed ten days ago', rating_comment = 'slow' WHERE id = $1`, [recent.id]);
    const open = await ctx.newTicket({ createdAt: ago(200) });
    await ctx.newMessage(open, { text: 'still open after 200 days', createdAt: ago(200) });
    // Erased once, then reopened, written to and closed again long ago: the new texts are due too.
    // Its category has left the catalog since: the plain title names its ids, as a new topic's would.
    const reclosed = await ctx.newTicket({ status: 'closed', closedAt: ago(95), category: 'retired', subcategory: 'old' });
    await ctx.newMessage(reclosed, { text: 'written after the reopen' });
    await ctx.sql(`UPDATE tickets SET texts_deleted_at = now() - interval '120 days', title = 'written after the reopen' WHERE id = $1`, [reclosed.id]);
    // Erased after its last close: nothing left to do.
    const done = await ctx.newTicket({ status: 'closed', closedAt: ago(150) });
    await ctx.sql(`UPDATE tickets SET texts_deleted_at = now() - interval '30 days' WHERE id = $1`, [done.id]);

    const result = await service.prune();

    expect(result.tickets).toBe(2);
    const texts = await ctx.sql<{ ticket_id: string; text: string | null; kind: string; direction: string }>(
      `SELECT ticket_id, text, kind, direction FROM ticket_messages ORDER BY id`,
    );
    expect(texts.map((m) => [Number(m.ticket_id), m.text])).toEqual([
      [old.id, null],
      [old.id, null],
      [recent.id, 'closed ten days ago'],
      [open.id, 'still open after 200 days'],
      [reclosed.id, null],
    ]);
    expect(texts.slice(0, 2).map((m) => [m.direction, m.kind])).toEqual([
      ['customer', 'text'],
      ['agent', 'text'],
    ]);
    const [kept] = await ctx.sql<{ id: string; category: string; title: string; ai_title: string | null; ai_title_state: string; rating: number; rating_comment: string | null; ai_answer: string | null; texts_deleted_at: Date | null }>(
      `SELECT id, category, title, ai_title, ai_title_state, rating, rating_comment, ai_answer, texts_deleted_at FROM tickets WHERE id = $1`,
      [old.id],
    );
    // The plain title a topic gets without the customer's words; the rating stays for /stats.
    expect(kept).toMatchObject({ category: 'payments', title: `#${old.id} · Payments and refunds › Refund`, ai_title: null, ai_title_state: 'ready', rating: 2, rating_comment: null, ai_answer: null });
    expect(kept.texts_deleted_at).not.toBeNull();
    expect(JSON.stringify(await ctx.sql(`SELECT * FROM tickets WHERE id = $1`, [old.id]))).not.toContain('4111');
    expect(await ctx.sql(`SELECT title, rating_comment FROM tickets WHERE id = ANY($1) ORDER BY id`, [[recent.id, reclosed.id]])).toEqual([
      { title: 'closed ten days ago', rating_comment: 'slow' },
      { title: `#${reclosed.id} · retired › old`, rating_comment: null },
    ]);
    expect(await ids(`SELECT id FROM tickets ORDER BY id`)).toEqual([old.id, recent.id, open.id, reclosed.id, done.id]);
  });

  it('erases the drafts of customers gone longer than TICKET_RETENTION', async () => {
    const gone = await ctx.newCustomer({ step: 'category', draft: [{ messageId: 1, kind: 'text', text: 'hello?', mediaGroupId: null }] });
    const active = await ctx.newCustomer({ step: 'category', draft: [{ messageId: 2, kind: 'text', text: 'still here', mediaGroupId: null }] });
    await ctx.sql(`UPDATE customers SET updated_at = now() - interval '91 days' WHERE id = $1`, [gone.id]);

    const result = await service.prune();

    expect(result.drafts).toBe(1);
    expect((await ctx.customers.find(gone.id))!.draft).toEqual([]);
    expect((await ctx.customers.find(active.id))!.draft).toHaveLength(1);
  });

  it('finds nothing more to do on the next round', async () => {
    expect(await service.prune()).toEqual({ updates: 0, inbox: 0, tickets: 0, drafts: 0 });
  });

  it('keeps ticket texts when TICKET_RETENTION is unset', async () => {
    const keeping = retention(ctx.config({ UPDATE_RETENTION: '7d' }));
    const closed = await ctx.newTicket({ status: 'closed', closedAt: ago(1000) });
    await ctx.newMessage(closed, { text: 'kept for good' });

    expect(await keeping.prune()).toEqual({ updates: 0, inbox: 0, tickets: 0, drafts: 0 });
    expect(await ctx.sql(`SELECT text FROM ticket_messages WHERE ticket_id = $1`, [closed.id])).toEqual([{ text: 'kept for good' }]);
  });
});
