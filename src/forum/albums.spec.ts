import type { InboxRepository } from '../telegram/repositories/inbox.repository';
import type { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { ALBUM_SETTLE_MS, BATCH_MAX, albumRuns, copyBatches, settledAlbum } from './albums';

describe('albumRuns', () => {
  it('groups consecutive items of one album and keeps everything else alone, in order', () => {
    const m = (id: number, mediaGroupId: string | null) => ({ id, mediaGroupId });
    const runs = albumRuns([m(1, null), m(2, 'a'), m(3, 'a'), m(4, 'a'), m(5, null), m(6, 'b'), m(7, 'c')]);
    expect(runs.map((run) => run.map((x) => x.id))).toEqual([[1], [2, 3, 4], [5], [6], [7]]);
  });
});

describe('copyBatches', () => {
  const m = (id: number, extra: Partial<{ mediaGroupId: string; replyToMessageId: number; kind: string; copyStartedAt: Date }> = {}) => ({
    id,
    mediaGroupId: null,
    replyToMessageId: null,
    kind: 'text',
    copyStartedAt: null,
    ...extra,
  });

  it('joins consecutive plain messages, and keeps replies, albums, odd kinds and possible repeats on their own, in order', () => {
    const runs = albumRuns([
      m(1),
      m(2, { kind: 'photo' }),
      m(3, { replyToMessageId: 9 }),
      m(4),
      m(5, { mediaGroupId: 'a' }),
      m(6, { mediaGroupId: 'a' }),
      m(7, { kind: 'poll' }),
      m(8),
      m(9, { copyStartedAt: new Date() }),
      m(10),
    ] as never[]);
    expect(copyBatches(runs as ReturnType<typeof m>[][]).map((run) => run.map((x) => x.id))).toEqual([[1, 2], [3], [4], [5, 6], [7], [8], [9], [10]]);
  });

  it('cuts long runs into batches of BATCH_MAX', () => {
    const many = Array.from({ length: 23 }, (_, i) => [m(i + 1)]);
    expect(copyBatches(many).map((run) => run.length)).toEqual([BATCH_MAX, BATCH_MAX, 3]);
  });
});

describe('settledAlbum', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const item = (id: number) => ({ id, chatId: -1001, messageId: 100 + id });
  /** Album rows as the tickets hold them, and whether the inbox still has an unhandled item, call by call. */
  const fakes = (rows: { ids: number[]; youngestMs: number }[], inboxHolds: boolean[]) => {
    const messages = {
      albumItems: jest.fn(async () => {
        const r = rows.length > 1 ? rows.shift()! : rows[0];
        return { items: r.ids.map(item), youngestMs: r.youngestMs };
      }),
    };
    const inbox = { holdsAlbumItem: jest.fn(async () => (inboxHolds.length > 1 ? inboxHolds.shift()! : inboxHolds[0])) };
    return { messages: messages as unknown as TicketMessageRepository, inbox: inbox as unknown as InboxRepository, calls: inbox.holdsAlbumItem };
  };
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false;
    void promise.then(() => (done = true));
    for (let i = 0; i < 200 && !done; i++) await jest.advanceTimersByTimeAsync(100);
    return promise;
  };

  it('waits for an item the inbox holds but has not handled, however long ago the last one was stored', async () => {
    const { messages, inbox, calls } = fakes(
      [
        { ids: [1], youngestMs: 900 },
        { ids: [1], youngestMs: 1000 },
        { ids: [1, 2, 3], youngestMs: 800 },
      ],
      [true, true, false],
    );
    const items = await settle(settledAlbum(messages, inbox, 7, 'agent', 'album'));
    expect(items.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(calls).toHaveBeenCalledWith('-1001', 'album');
  });

  it('waits out ALBUM_SETTLE_MS after the youngest item before asking the inbox', async () => {
    const { messages, inbox, calls } = fakes(
      [
        { ids: [1], youngestMs: 100 },
        { ids: [1, 2], youngestMs: ALBUM_SETTLE_MS + 20 },
      ],
      [false],
    );
    const items = await settle(settledAlbum(messages, inbox, 7, 'customer', 'album'));
    expect(items.map((i) => i.id)).toEqual([1, 2]);
    expect(calls).toHaveBeenCalledTimes(1);
  });

  it('does not wait for the inbox for ever (an item stuck there is copied with a later run)', async () => {
    const { messages, inbox } = fakes([{ ids: [1, 2], youngestMs: 5000 }], [true]);
    const items = await settle(settledAlbum(messages, inbox, 7, 'customer', 'album'));
    expect(items.map((i) => i.id)).toEqual([1, 2]);
  });
});
