import { BATCH_MAX, albumRuns, copyBatches } from './albums';

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
