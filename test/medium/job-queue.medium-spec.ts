import { EventEmitter2 } from '@nestjs/event-emitter';
import { JobDeferred } from '../../src/jobs/job-queue';
import { PgBossJobQueue } from '../../src/jobs/pg-boss.driver';
import { UnitOfWork } from '../../src/jobs/unit-of-work';
import { MediumContext, newMediumContext } from './medium-context';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The job queue over a real pg-boss schema: one fetch loop per queue, its slots, retries, deferrals and stop. */
describe('PgBossJobQueue', () => {
  let ctx: MediumContext;
  let queue: PgBossJobQueue | undefined;

  beforeAll(async () => {
    ctx = await newMediumContext();
  });
  afterEach(async () => {
    await queue?.stop();
    queue = undefined;
  });
  afterAll(() => ctx?.close());

  const start = async (concurrency: number, setup: (q: PgBossJobQueue) => void) => {
    queue = new PgBossJobQueue(ctx.config({ JOB_CONCURRENCY: String(concurrency) }), ctx.dataSource);
    setup(queue);
    await queue.onModuleInit();
    await queue.startWorkers();
    return queue;
  };

  it('runs every job once, at most JOB_CONCURRENCY of a queue at a time, and fetches the rest as slots free', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const q = await start(3, (q) =>
      q.handle('ticket.sync', async ({ ticketId }) => {
        peak = Math.max(peak, ++running);
        await sleep(150);
        running--;
        done.push(ticketId);
      }),
    );
    for (let i = 0; i < 10; i++) await q.send('ticket.sync', { ticketId: i });
    await until('ten jobs', () => done.length === 10);
    await sleep(300);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    const states = await ctx.sql<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM pgboss.job WHERE name = 'ticket.sync' GROUP BY state`);
    expect(states).toEqual([{ state: 'completed', n: '10' }]);
  }, 30_000);

  it('retries a failed job, and sends a deferred one again later without spending a retry', async () => {
    const attempts: string[] = [];
    const q = await start(2, (q) => {
      q.handle('ticket.deliver', async (_data, job) => {
        attempts.push(`deliver retry ${job.retryCount}`);
        if (job.retryCount === 0) throw new Error('Telegram said no');
      });
      q.handle('ticket.ack', async () => {
        attempts.push('ack');
        if (attempts.filter((a) => a === 'ack').length === 1) throw new JobDeferred(1, 'not yet');
      });
    });
    await q.send('ticket.deliver', { ticketId: 1 });
    await q.send('ticket.ack', { ticketId: 1 });
    await until('the retry and the deferred job', () => attempts.includes('deliver retry 1') && attempts.filter((a) => a === 'ack').length === 2, 30_000);
    const acks = await ctx.sql<{ state: string; retry_count: number }>(`SELECT state, retry_count FROM pgboss.job WHERE name = 'ticket.ack' ORDER BY created_on`);
    expect(acks).toEqual([
      { state: 'completed', retry_count: 0 },
      { state: 'completed', retry_count: 0 },
    ]);
  }, 40_000);

  it('stops fetching at stop(), waits for the handler that runs, and leaves later jobs for the next start', async () => {
    const events: string[] = [];
    const q = await start(1, (q) =>
      q.handle('team.work', async (data) => {
        events.push(`start ${data.ticketId}`);
        await sleep(800);
        events.push(`end ${data.ticketId}`);
      }),
    );
    await q.send('team.work', { kind: 'card', ticketId: 1 });
    await until('the first job', () => events.length === 1);
    await q.send('team.work', { kind: 'card', ticketId: 2 });
    await q.stop();
    queue = undefined;
    events.push('stopped');
    await sleep(1500);
    expect(events).toEqual(['start 1', 'end 1', 'stopped']);
    const waiting = await ctx.sql<{ state: string }>(`SELECT state FROM pgboss.job WHERE name = 'team.work' AND data->>'ticketId' = '2'`);
    expect(waiting).toEqual([{ state: 'created' }]);
  }, 30_000);

  it("writes a unit of work's jobs in its transaction, in one statement, keeping priority, delay and singleton; none when it rolls back", async () => {
    const q = await start(1, () => undefined);
    const uow = new UnitOfWork(ctx.dataSource, q, new EventEmitter2());
    const statements: string[] = [];
    let restore = () => undefined as void;
    await uow.run(async (tx) => {
      // Every statement of the transaction, the jobs' INSERT before COMMIT included.
      const runner = tx.db.queryRunner!;
      const query = runner.query;
      runner.query = ((text: string, ...rest: never[]) => (statements.push(text), query.call(runner, text, ...rest))) as typeof runner.query;
      restore = () => void (runner.query = query);
      await tx.send('ticket.sync', { ticketId: 701 }, { priority: 10 });
      await tx.send('team.work', { kind: 'sla', ticketId: 701 }, { startAfterSeconds: 600 });
      await tx.send('ai.title', { ticketId: 701 }, { singleton: { key: 'title-701', seconds: 60 } });
      await tx.send('ai.title', { ticketId: 701 }, { singleton: { key: 'title-701', seconds: 60 } });
    });
    restore();
    expect(statements.filter((text) => text.includes('pgboss.job'))).toHaveLength(1);
    const jobs = await ctx.sql<{ name: string; priority: number; delayed: boolean; singleton_key: string | null }>(
      `SELECT name, priority, start_after > now() + interval '500 seconds' AS delayed, singleton_key FROM pgboss.job WHERE data->>'ticketId' = '701' ORDER BY name`,
    );
    expect(jobs).toEqual([
      { name: 'ai.title', priority: 0, delayed: false, singleton_key: 'title-701' },
      { name: 'team.work', priority: 0, delayed: true, singleton_key: null },
      { name: 'ticket.sync', priority: 10, delayed: false, singleton_key: null },
    ]);

    await expect(
      uow.run(async (tx) => {
        await tx.send('ticket.sync', { ticketId: 801 });
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await ctx.sql(`SELECT id FROM pgboss.job WHERE data->>'ticketId' = '801'`)).toEqual([]);
  }, 30_000);
});
