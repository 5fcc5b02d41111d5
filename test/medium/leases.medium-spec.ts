import { LEASES } from '../../src/database/locks';
import { LeaseTaken, WorkLeaseRepository } from '../../src/database/repositories/work-lease.repository';
import { MediumContext, newMediumContext } from './medium-context';

/** Per-ticket serialisation without a held connection. */
describe('WorkLeaseRepository', () => {
  let ctx: MediumContext;
  let leases: WorkLeaseRepository;

  beforeAll(async () => {
    ctx = await newMediumContext();
    leases = new WorkLeaseRepository(ctx.dataSource);
  });
  afterAll(() => ctx?.close());

  it('lets one worker at a time work on a key, tells the other when to come back, and frees the key after', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const first = leases.whileLeased(LEASES.sync, 42, async () => {
      order.push('first');
      await gate;
    }, async () => false);
    while (!order.length) await new Promise((r) => setTimeout(r, 5));

    const second = leases.whileLeased(LEASES.sync, 42, async () => void order.push('second'), async () => false);
    await expect(second).rejects.toBeInstanceOf(LeaseTaken);
    await expect(second).rejects.toMatchObject({ deferForSeconds: expect.any(Number) });
    expect(((await second.catch((e: LeaseTaken) => e)) as LeaseTaken).deferForSeconds).toBeLessThanOrEqual(22);
    // Another key, or another kind of work on the same key, is not held up.
    await leases.whileLeased(LEASES.deliver, 42, async () => void order.push('deliver'), async () => false);

    release();
    await first;
    await leases.whileLeased(LEASES.sync, 42, async () => void order.push('third'), async () => false);
    expect(order).toEqual(['first', 'deliver', 'third']);
    expect(await ctx.sql(`SELECT * FROM work_leases`)).toEqual([]);
  });

  it('takes over a lease whose holder stopped renewing it', async () => {
    await ctx.sql(`INSERT INTO work_leases (kind, key, holder, until) VALUES ('ticket.sync', 7, 'dead', now() - interval '1 second')`);
    let ran = false;
    await leases.whileLeased(LEASES.sync, 7, async () => void (ran = true), async () => false);
    expect(ran).toBe(true);
  });

  it('keeps working while more work arrives, in rounds', async () => {
    let rounds = 0;
    await leases.whileLeased(LEASES.deliver, 9, async () => void rounds++, async () => rounds < 3);
    expect(rounds).toBe(3);
  });
});
