import { unitConfig } from '../../test/support/unit-fixtures';
import { SupportGroups } from './support-groups';
import type { TelegramGateway } from './telegram.gateway';

const A = -1001;
const B = -1002;
const C = -1003;

function groupsWith(headroom: Record<number, number>) {
  const config = unitConfig({ SUPPORT_CHAT_ID: `${A},${B},${C}` });
  const gateway = { groupHeadroom: (id: number) => headroom[id] ?? 20 } as unknown as TelegramGateway;
  return new SupportGroups(config, gateway);
}

const counts = (entries: [number, number][]) => async () => new Map(entries);

describe('SupportGroups.pick', () => {
  it("takes the category's group while it is usable, else routes like any other ticket", async () => {
    const groups = groupsWith({ [A]: 20, [B]: 5, [C]: 20 });
    expect(await groups.pick(B, counts([]))).toBe(B);
    groups.setUsable(B, false, 'kicked');
    expect(await groups.pick(B, counts([[A, 3], [C, 1]]))).toBe(C);
  });

  it('prefers the most free budget, then the fewest open tickets, and skips unusable groups', async () => {
    const groups = groupsWith({ [A]: 4, [B]: 18, [C]: 18 });
    const openCounts = jest.fn(counts([[B, 7], [C, 2]]));
    expect(await groups.pick(undefined, openCounts)).toBe(C);
    groups.setUsable(C, false, 'not a forum');
    expect(await groups.pick(undefined, openCounts)).toBe(B);
    // A clear winner by budget needs no count.
    openCounts.mockClear();
    expect(await groupsWith({ [A]: 20, [B]: 1, [C]: 1 }).pick(undefined, openCounts)).toBe(A);
    expect(openCounts).not.toHaveBeenCalled();
  });

  it('with every group unusable, keeps the ticket in the first group (it waits there, nothing is lost)', async () => {
    const groups = groupsWith({});
    for (const id of [A, B, C]) groups.setUsable(id, false, 'kicked');
    expect(await groups.pick(undefined, counts([]))).toBe(A);
    expect(groups.isUsable(A)).toBe(false);
    groups.setUsable(A, true);
    expect(await groups.pick(undefined, counts([]))).toBe(A);
    expect(groups.has(-1009)).toBe(false);
  });
});
