import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { HealthRepository } from '../database/repositories/health.repository';
import { GroupAccess, GroupAccessState } from '../forum/group-access.service';
import { PgBossJobQueue } from '../jobs/pg-boss.driver';
import { Metrics } from '../metrics/metrics.service';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { DeskStateSampler } from './desk-state.sampler';

/** Telegram must have answered within this long for the instance to be ready. */
const TELEGRAM_WITHIN_MS = 60_000;
/** A quiet instance (a webhook without traffic) asks Telegram itself when it has not heard from it for this long. */
const PROBE_AFTER_MS = 30_000;
const PROBE_EVERY_MS = 15_000;

export type DatabaseState = 'ok' | 'slow' | 'unreachable';

export interface Readiness {
  status: 'ready' | 'not ready';
  /** What is wrong, one line each; empty when ready. */
  problems: string[];
  database: DatabaseState;
  jobs: 'running' | 'stopped';
  telegram: { ok: boolean; lastAnswerSecondsAgo: number | null };
  supportGroup: GroupAccessState;
  /** Customer messages waiting for the support group (null: not known yet), and the limit (0: none). */
  backlog: { waiting: number | null; max: number };
}

/**
 * Whether this instance can do its work now: the database answers, the job workers run, Telegram
 * answered within a minute, the bot has its rights in the support group, and the group is not further
 * behind than READY_MAX_BACKLOG. Everything but the database check is in memory; that one has its own
 * connection and 0.8 s (HealthRepository), so the answer comes within a second even when the database hangs.
 */
@Injectable()
export class ReadinessService implements OnApplicationBootstrap, OnApplicationShutdown {
  private probe?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: HealthRepository,
    private readonly jobs: PgBossJobQueue,
    private readonly groupAccess: GroupAccess,
    private readonly metrics: Metrics,
    private readonly sampler: DeskStateSampler,
    private readonly gateway: TelegramGateway,
  ) {}

  onApplicationBootstrap(): void {
    this.probe = setInterval(() => void this.probeTelegram(), PROBE_EVERY_MS);
    this.probe.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.probe);
  }

  /** The database's answer to the health check's ping. */
  async databaseState(): Promise<{ state: DatabaseState; error?: string }> {
    try {
      return { state: await this.database.ping() };
    } catch (error) {
      return { state: 'unreachable', error: (error as Error).message };
    }
  }

  async check(): Promise<Readiness> {
    const [database, desk] = await Promise.all([this.databaseState(), this.sampler.fresh()]);
    const problems: string[] = [];
    if (database.state === 'unreachable') problems.push(`the database is unreachable (${database.error})`);
    if (database.state === 'slow') problems.push('the database did not answer within 0.8 s');

    const jobs = this.jobs.running ? 'running' : 'stopped';
    if (jobs === 'stopped') problems.push('the job workers are not running (starting or shutting down)');

    const last = this.metrics.lastTelegramAnswerAt;
    const telegram = { ok: last !== undefined && Date.now() - last <= TELEGRAM_WITHIN_MS, lastAnswerSecondsAgo: last === undefined ? null : Math.round((Date.now() - last) / 1000) };
    if (!telegram.ok) problems.push(last === undefined ? 'Telegram has not answered yet' : `Telegram has not answered for ${telegram.lastAnswerSecondsAgo} s`);

    const supportGroup = this.groupAccess.state;
    if (!supportGroup.ok) problems.push(`the bot has no access to the support group (${supportGroup.reason})`);

    const max = this.config.readyMaxBacklog;
    const waiting = desk?.backlog ?? null;
    if (max > 0 && waiting !== null && waiting > max) problems.push(`${waiting} customer messages wait for the support group (READY_MAX_BACKLOG ${max})`);

    return { status: problems.length ? 'not ready' : 'ready', problems, database: database.state, jobs, telegram, supportGroup, backlog: { waiting, max } };
  }

  private async probeTelegram(): Promise<void> {
    const last = this.metrics.lastTelegramAnswerAt;
    if (last !== undefined && Date.now() - last < PROBE_AFTER_MS) return;
    // The answer (or its absence) is recorded by the gateway.
    await this.gateway.call('getMe', {}, { retries: 0 }).catch(() => undefined);
  }
}
