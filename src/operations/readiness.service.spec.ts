import type { Response } from 'express';
import { unitConfig } from '../../test/support/unit-fixtures';
import type { HealthRepository } from '../database/repositories/health.repository';
import type { GroupAccess, GroupAccessState } from '../forum/group-access.service';
import { HealthController } from '../health.controller';
import type { PgBossJobQueue } from '../jobs/pg-boss.driver';
import type { Metrics } from '../metrics/metrics.service';
import type { TelegramGateway } from '../telegram/telegram.gateway';
import type { DeskStateSampler } from './desk-state.sampler';
import type { DeskState } from './repositories/desk-state.repository';
import { ReadinessService } from './readiness.service';

interface World {
  ping: () => Promise<'ok' | 'slow'>;
  jobsRunning: boolean;
  /** How long ago Telegram last answered (undefined: never). */
  telegramSilentMs?: number;
  group: GroupAccessState;
  backlog?: number;
}

/** The readiness over fakes of what it reads, answering as `world` says; `/ready` through the controller. */
function setup(change: Partial<World> = {}, env: Record<string, string> = { READY_MAX_BACKLOG: '10' }) {
  const world: World = { ping: async () => 'ok', jobsRunning: true, telegramSilentMs: 2000, group: { ok: true }, ...change };
  const desk = (backlog: number): DeskState => ({ backlog, backlogOldestSeconds: 0, ticketsOpen: 0, ticketsWaiting: 0, jobsWaiting: {}, byGroup: {} });
  const database = { ping: () => world.ping() } as unknown as HealthRepository;
  const jobs = { get running() { return world.jobsRunning; } } as unknown as PgBossJobQueue;
  const groupAccess = { get state() { return world.group; } } as unknown as GroupAccess;
  const lastTelegramAnswerAt = world.telegramSilentMs === undefined ? undefined : Date.now() - world.telegramSilentMs;
  const metrics = { lastTelegramAnswerAt } as unknown as Metrics;
  const sampler = { fresh: async () => (world.backlog === undefined ? undefined : desk(world.backlog)) } as unknown as DeskStateSampler;
  const gateway = { call: jest.fn() } as unknown as TelegramGateway;
  const readiness = new ReadinessService(unitConfig(env), database, jobs, groupAccess, metrics, sampler, gateway);
  const controller = new HealthController(readiness, groupAccess);
  /** What GET /ready answers: the status code and the body. */
  const ready = async () => {
    const answer: { status?: number; body?: unknown } = {};
    const res = { status: (code: number) => ((answer.status = code), res), json: (body: unknown) => ((answer.body = body), res) } as unknown as Response;
    await controller.ready(res);
    return answer as { status: number; body: Awaited<ReturnType<ReadinessService['check']>> };
  };
  return { readiness, ready };
}

describe('ReadinessService.check and /ready', () => {
  it('is ready, 200 with no problems, when everything is fine', async () => {
    const { status, body } = await setup({ backlog: 10 }).ready();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ready',
      problems: [],
      database: 'ok',
      jobs: 'running',
      telegram: { ok: true, lastAnswerSecondsAgo: 2 },
      supportGroup: { ok: true },
      backlog: { waiting: 10, max: 10 },
    });
  });

  const cases: [string, Partial<World>, RegExp, Record<string, unknown>][] = [
    [
      'the database unreachable',
      { ping: async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:5432')) },
      /^the database is unreachable \(connect ECONNREFUSED 10\.0\.0\.5:5432\)$/,
      { database: 'unreachable' },
    ],
    ['the database slow', { ping: async () => 'slow' }, /^the database did not answer within 0\.8 s$/, { database: 'slow' }],
    ['the job workers stopped', { jobsRunning: false }, /^the job workers are not running/, { jobs: 'stopped' }],
    ['Telegram silent for over a minute', { telegramSilentMs: 61_000 }, /^Telegram has not answered for 61 s$/, { telegram: { ok: false, lastAnswerSecondsAgo: 61 } }],
    ['Telegram not heard from yet', { telegramSilentMs: undefined }, /^Telegram has not answered yet$/, { telegram: { ok: false, lastAnswerSecondsAgo: null } }],
    [
      'a support group lost',
      { group: { ok: false, reason: 'group -1002: Forbidden: bot was kicked from the supergroup chat' } },
      /^the bot has no access to the support group \(group -1002: Forbidden: bot was kicked/,
      { supportGroup: { ok: false } },
    ],
    ['a backlog above READY_MAX_BACKLOG', { backlog: 11 }, /^11 customer messages wait for the support group \(READY_MAX_BACKLOG 10\)$/, { backlog: { waiting: 11, max: 10 } }],
  ];

  it.each(cases)('names %s as its one problem, with 503', async (_what, change, problem, fields) => {
    const { status, body } = await setup({ backlog: 0, ...change }).ready();
    expect(status).toBe(503);
    expect(body.status).toBe('not ready');
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]).toMatch(problem);
    expect(body).toMatchObject(fields);
  });

  it('names every problem at once', async () => {
    const { readiness } = setup({ ping: async () => 'slow', jobsRunning: false, telegramSilentMs: 90_000, group: { ok: false, reason: 'Forbidden' }, backlog: 50 });
    const { status, problems } = await readiness.check();
    expect(status).toBe('not ready');
    expect(problems.map((p) => p.split(' ').slice(0, 3).join(' '))).toEqual(['the database did', 'the job workers', 'Telegram has not', 'the bot has', '50 customer messages']);
  });

  it('has no backlog limit with READY_MAX_BACKLOG=0, and is ready while the backlog is not known yet', async () => {
    expect((await setup({ backlog: 100_000 }, { READY_MAX_BACKLOG: '0' }).ready()).status).toBe(200);
    const unknown = await setup({ backlog: undefined }).ready();
    expect(unknown.status).toBe(200);
    expect(unknown.body.backlog).toEqual({ waiting: null, max: 10 });
  });
});
