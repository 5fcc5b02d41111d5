import { albumRuns } from './albums';

describe('albumRuns', () => {
  it('groups consecutive items of one album and keeps everything else alone, in order', () => {
    const m = (id: number, mediaGroupId: string | null) => ({ id, mediaGroupId });
    const runs = albumRuns([m(1, null), m(2, 'a'), m(3, 'a'), m(4, 'a'), m(5, null), m(6, 'b'), m(7, 'c')]);
    expect(runs.map((run) => run.map((x) => x.id))).toEqual([[1], [2, 3, 4], [5], [6], [7]]);
  });
});
