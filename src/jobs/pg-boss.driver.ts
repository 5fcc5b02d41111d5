import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isInfrastructureError } from '../database/infrastructure-error';
import { jobContext, withWorkContext } from '../logging/work-context';
import { JOB_NAMES, JobHandler, JobMap, JobName, JobQueue, SendOptions, deferralOf } from './job-queue';

/** Connections of pg-boss's own pool (see README, "Connections"). */
export const pgBossPoolSize = (jobConcurrency: number) => jobConcurrency + 2;

/** Retry policy per queue: quick first retries, then backing off; the sweeper catches anything beyond. */
const QUEUE_OPTIONS: Record<JobName, Omit<PgBoss.Queue, 'name'>> = {
  'ticket.sync': { retryLimit: 12, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 },
  'ticket.ack': { retryLimit: 12, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
  'ticket.deliver': { retryLimit: 12, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 },
  'ticket.lifecycle': { retryLimit: 12, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
  'message.edit': { retryLimit: 8, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
  'customer.reachability': { retryLimit: 8, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
  // AI failures do not throw (the ticket goes on without); retries are for Telegram's side (a rename, a draft).
  'ai.title': { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
  'ai.answer': { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 },
  'team.work': { retryLimit: 8, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
};

/** A job's ids for the log; edits carry the customer's or agent's text, which stays out of it. */
const jobLabel = (data: object) => JSON.stringify(data, (key, value) => (['text', 'caption', 'entities'].includes(key) ? undefined : value));

/** Adapts a TypeORM transaction to the executor pg-boss accepts, so a job commits or rolls back with the data. */
function executorOf(manager: EntityManager): PgBoss.Db {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('JobQueue.send({ tx }) needs a transactional EntityManager');
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const result = await runner.query(text, values, true);
      return { rows: result.records ?? [] };
    },
  };
}

@Injectable()
export class PgBossJobQueue extends JobQueue implements OnModuleInit {
  private readonly logger = new Logger('Jobs');
  private readonly boss: PgBoss;
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly workerIds = new Map<JobName, string[]>();
  private started = false;
  /** Job handlers running now (stop() waits for them, bounded). */
  private handling = 0;
  private lastOutageLog = 0;
  private suppressed = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, dataSource: DataSource) {
    super();
    const { url } = dataSource.options as { url?: string };
    const options: PgBoss.ConstructorOptions & { connectionTimeoutMillis: number } = {
      connectionString: url,
      schema: 'pgboss',
      application_name: 'helpdesk-jobs',
      // Each queue's workers fetch and complete their jobs through this pool (jobs written with data go
      // through the app's transaction); one connection per concurrent job of a queue, and two to spare.
      max: pgBossPoolSize(config.jobConcurrency),
      // A worker waiting for a connection gives up (and tries again) rather than waiting forever.
      connectionTimeoutMillis: 10_000,
      supervise: true,
      schedule: false,
      migrate: true,
    };
    // connectionTimeoutMillis is passed on to pg's pool (pg-boss's types do not list it).
    this.boss = new PgBoss(options);
    this.boss.on('error', (error) => this.reportError(error));
  }

  /** Creates the queues before anything can send to them (pg-boss drops sends to unknown queues silently). */
  async onModuleInit(): Promise<void> {
    await this.boss.start();
    for (const name of JOB_NAMES) await this.ensureQueue(name);
  }

  /**
   * Instances started together set up the same queues at the same moment, and PostgreSQL may end one
   * of them with "deadlock detected": that one waits a moment and sets the queue up again.
   */
  private async ensureQueue(name: JobName): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = await this.boss.getQueue(name);
        if (existing) await this.boss.updateQueue(name, { name, ...QUEUE_OPTIONS[name] });
        else await this.boss.createQueue(name, { name, policy: 'standard', ...QUEUE_OPTIONS[name] });
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 40P01 deadlock, 23505 a queue created by the other instance in between.
        if ((code !== '40P01' && code !== '23505') || attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 200));
      }
    }
  }

  /** Starts the workers of every registered handler; called once every module is ready (see StartupOrder). */
  async startWorkers(): Promise<void> {
    for (const [name, handler] of this.handlers) {
      const ids: string[] = [];
      for (let i = 0; i < this.config.jobConcurrency; i++) {
        let workerId = '';
        workerId = await this.boss.work<JobMap[JobName]>(name, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, async (jobs) => {
          for (const job of jobs) await withWorkContext(jobContext(name, job.data), () => this.run(name, handler, job));
          // pg-boss would sleep out the rest of its polling interval after every job; with work left, fetch again now.
          if (jobs.length) this.boss.notifyWorker(workerId);
        });
        ids.push(workerId);
      }
      this.workerIds.set(name, ids);
    }
    this.started = true;
  }

  /**
   * pg-boss reports every failed fetch of every worker: while the database is away that is a flood of
   * the same line. One warning per minute of an outage; anything else is an error each time.
   */
  private reportError(error: Error): void {
    if (!isInfrastructureError(error)) {
      this.logger.error(`pg-boss: ${error.message}`);
      return;
    }
    const now = Date.now();
    if (now - this.lastOutageLog < 60_000) {
      this.suppressed++;
      this.logger.debug(`pg-boss: ${error.message}`);
      return;
    }
    const more = this.suppressed ? ` (${this.suppressed} more like it in the last minute)` : '';
    this.logger.warn(`pg-boss cannot reach the database: ${error.message}${more}; jobs wait and are retried`);
    this.lastOutageLog = now;
    this.suppressed = 0;
  }

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  async send<N extends JobName>(name: N, data: JobMap[N], options: SendOptions = {}): Promise<void> {
    const sendOptions: PgBoss.SendOptions = {};
    if (options.tx) sendOptions.db = executorOf(options.tx);
    if (options.startAfterSeconds) sendOptions.startAfter = options.startAfterSeconds;
    if (options.priority) sendOptions.priority = options.priority;
    if (options.singleton) {
      sendOptions.singletonKey = options.singleton.key;
      sendOptions.singletonSeconds = options.singleton.seconds;
    }
    await this.boss.send(name, data, sendOptions);
    // Outside a transaction the job is visible now; inside one, the UnitOfWork wakes after COMMIT.
    if (!options.tx && !options.startAfterSeconds) this.wake(name);
  }

  /** Waits until no job handler of this instance runs any more (or the time is up); true when none does. */
  async drained(timeoutMs: number): Promise<boolean> {
    for (const deadline = Date.now() + timeoutMs; this.handling > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    return this.handling === 0;
  }

  /** Workers are taking jobs (false before the app has started them and from the start of shutdown). */
  get running(): boolean {
    return this.started;
  }

  wake(name: JobName): void {
    if (!this.started) return;
    for (const id of this.workerIds.get(name) ?? []) this.boss.notifyWorker(id);
  }

  /** Stops fetching, waits (bounded) for running jobs; unfinished ones are retried by whichever instance runs next. */
  async stop(): Promise<void> {
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 6_000, close: true });
    // pg-boss stops waiting after its timeout, but its workers keep checking every second until their
    // handlers return: wait a little for those (within the 9 s a stop may take), so nothing of this
    // instance runs once stop() returned.
    await this.drained(2_500);
  }

  private async run(name: JobName, handler: JobHandler<JobName>, job: PgBoss.JobWithMetadata<JobMap[JobName]>): Promise<void> {
    const started = performance.now();
    this.handling++;
    try {
      await handler(job.data, { id: job.id, retryCount: job.retryCount, priority: job.priority });
      this.logger.debug(`${name} ${jobLabel(job.data)} done in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      const deferSeconds = deferralOf(error);
      if (deferSeconds) {
        // Not a failure: the same work comes back later, with its retries untouched.
        this.logger.debug(`${name} ${jobLabel(job.data)} deferred ${deferSeconds} s: ${(error as Error).message}`);
        await this.boss.send(name, job.data as object, { startAfter: deferSeconds, priority: job.priority });
        return;
      }
      const attempt = `attempt ${job.retryCount + 1}/${job.retryLimit + 1}`;
      this.logger.warn(`${name} ${jobLabel(job.data)} failed (${attempt}): ${(error as Error).message}`);
      throw error;
    } finally {
      this.handling--;
    }
  }
}
