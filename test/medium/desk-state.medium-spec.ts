import { DataSource, DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { Metrics } from '../../src/metrics/metrics.service';
import { DeskStateSampler } from '../../src/operations/desk-state.sampler';
import { DESK_STATE_TIMEOUT_MS, DeskStateRepository } from '../../src/operations/repositories/desk-state.repository';
import { PausableProxy } from '../support/pausable-proxy';
import { MediumContext, newMediumContext } from './medium-context';

/**
 * The desk's numbers behind the gauges, read through a proxy that can make PostgreSQL hang: a read
 * gives up on its own (statement_timeout is the server's and never fires then), so the sampler is free
 * again and the gauges follow the database as soon as it answers.
 */
describe('DeskStateRepository and DeskStateSampler against a database that hangs', () => {
  let ctx: MediumContext;
  let proxy: PausableProxy;
  let proxied: DataSource;
  let repository: DeskStateRepository;

  beforeAll(async () => {
    ctx = await newMediumContext();
    const started = await PausableProxy.start((ctx.dataSource.options as { url: string }).url);
    proxy = started.proxy;
    const base = dataSourceOptions(started.url);
    proxied = new DataSource({ ...base, extra: { ...(base.extra as object), max: 2, application_name: 'helpdesk-medium-proxied' } } as DataSourceOptions);
    await proxied.initialize();
    repository = new DeskStateRepository(proxied);
  });
  afterAll(async () => {
    proxy?.resume();
    if (proxied?.isInitialized) await proxied.destroy();
    await proxy?.close();
    await ctx?.close();
  });

  it('reads the backlog, the open and the waiting tickets in one statement', async () => {
    const ticket = await ctx.newTicket();
    await ctx.newMessage(ticket, { text: 'not copied yet' });

    const state = await repository.read();

    expect(state).toMatchObject({ backlog: 1, ticketsOpen: 1, ticketsWaiting: 1 });
    expect(state.byGroup[String(ticket.groupId)]).toMatchObject({ backlog: 1 });
  });

  it('gives up a read the database does not answer, and reads again once it answers', async () => {
    proxy.pause();
    let settled = false;
    const hung = repository.read().finally(() => (settled = true));
    try {
      // The proxy stays paused until the read has settled: without a timeout of its own it would wait
      // for good (here, until Jest's timeout).
      await expect(hung).rejects.toThrow(/timeout/i);
      expect(settled).toBe(true);
    } finally {
      proxy.resume();
    }
    await ctx.newTicket();
    expect(await repository.read()).toMatchObject({ backlog: 1, ticketsOpen: 2 });
  }, DESK_STATE_TIMEOUT_MS + 20_000);

  it('leaves the sampler free during a hang, so its gauges follow the database once it is back', async () => {
    const metrics = new Metrics();
    const sampler = new DeskStateSampler(ctx.config(), repository, metrics);
    await sampler.sample();
    const before = sampler.last!.ticketsOpen;

    proxy.pause();
    try {
      await sampler.sample();
      expect(sampler.last!.ticketsOpen).toBe(before);
    } finally {
      proxy.resume();
    }
    await ctx.newTicket();
    await sampler.sample();

    expect(sampler.last!.ticketsOpen).toBe(before + 1);
    const gauge = await metrics.ticketsOpen.get();
    expect(gauge.values[0].value).toBe(before + 1);
  }, DESK_STATE_TIMEOUT_MS + 20_000);
});
