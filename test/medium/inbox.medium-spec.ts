import type { Update } from 'telegraf/types';
import { InboxRepository } from '../../src/telegram/repositories/inbox.repository';
import { MediumContext, newMediumContext } from './medium-context';

/** The durable inbox against PostgreSQL: what is stored, and the order in which it is handed out. */
describe('InboxRepository', () => {
  let ctx: MediumContext;
  let inbox: InboxRepository;
  let nextId = 1000;

  beforeAll(async () => {
    ctx = await newMediumContext();
    inbox = new InboxRepository(ctx.dataSource);
  });
  afterAll(() => ctx?.close());

  const update = (chat: number): Update => ({ update_id: nextId++, message: { message_id: nextId, date: 0, chat: { id: chat, type: 'private' }, text: 'x' } }) as unknown as Update;
  const store = (updates: Update[], leaseSeconds = 20) =>
    inbox.store(
      updates.map((u) => ({ updateId: u.update_id, chatKey: String((u as { message: { chat: { id: number } } }).message.chat.id), payload: u })),
      leaseSeconds,
    );

  it('stores an update once, however often it is delivered', async () => {
    const u = update(1);
    expect(await store([u])).toEqual([{ updateId: u.update_id, olderPending: [] }]);
    expect(await store([u])).toEqual([]);
    expect(await ctx.sql(`SELECT payload FROM telegram_inbox WHERE update_id = $1`, [u.update_id])).toEqual([{ payload: u }]);
  });

  it("knows whether an album's item is stored but not handled yet, in that chat only", async () => {
    const base = update(-1006) as unknown as { update_id: number; message: object };
    const item = { ...base, message: { ...base.message, media_group_id: 'album-9', photo: [] } } as unknown as Update;
    expect(await inbox.holdsAlbumItem('-1006', 'album-9')).toBe(false);
    await store([item]);
    expect(await inbox.holdsAlbumItem('-1006', 'album-9')).toBe(true);
    expect(await inbox.holdsAlbumItem('-1007', 'album-9')).toBe(false);
    expect(await inbox.holdsAlbumItem('-1006', 'album-10')).toBe(false);
    await inbox.markHandled([item.update_id]);
    expect(await inbox.holdsAlbumItem('-1006', 'album-9')).toBe(false);
  });

  it('names the older updates of the same chat still pending, but not its own batch-mates or other chats', async () => {
    const [a, b] = [update(2), update(2)];
    expect(await store([a, b])).toEqual([
      { updateId: a.update_id, olderPending: [] },
      { updateId: b.update_id, olderPending: [] },
    ]);
    const [c, other] = [update(2), update(3)];
    expect(await store([c, other])).toEqual([
      { updateId: c.update_id, olderPending: [a.update_id, b.update_id] },
      { updateId: other.update_id, olderPending: [] },
    ]);
  });

  it('hands out only the oldest pending update of each chat, and the next one once that is handled', async () => {
    const [first, second] = [update(4), update(4)];
    const elsewhere = update(5);
    await store([first, second, elsewhere], 0);

    const due = await inbox.claimDue(100, 20);
    const ids = due.map((d) => d.update.update_id);
    expect(ids).toContain(first.update_id);
    expect(ids).toContain(elsewhere.update_id);
    expect(ids).not.toContain(second.update_id);
    // Leased now: not handed out again while the lease runs.
    expect((await inbox.claimDue(100, 20, '4')).length).toBe(0);

    await inbox.markHandled([first.update_id]);
    expect((await inbox.claimDue(100, 20, '4')).map((d) => d.update.update_id)).toEqual([second.update_id]);
  });

  it('brings a failed update back after its delay, and never a parked one', async () => {
    const [failing, behind] = [update(6), update(6)];
    await store([failing, behind], 0);
    await inbox.recordFailure(failing.update_id, 'boom', false, 0);
    expect((await inbox.claimDue(10, 20, '6')).map((d) => [d.update.update_id, d.attempts])).toEqual([[failing.update_id, 1]]);

    await inbox.recordFailure(failing.update_id, 'boom', true, 0);
    // Parked: it no longer holds up its chat.
    expect((await inbox.claimDue(10, 20, '6')).map((d) => d.update.update_id)).toEqual([behind.update_id]);
    expect(await ctx.sql(`SELECT attempts, last_error, parked_at IS NOT NULL AS parked FROM telegram_inbox WHERE update_id = $1`, [failing.update_id])).toEqual([
      { attempts: 2, last_error: 'boom', parked: true },
    ]);
  });
});
