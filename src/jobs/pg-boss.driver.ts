import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isInfrastructureError } from '../database/infrastructure-error';
import { jobContext, withWorkContext } from '../logging/work-context';
import { JOB_NAMES, JobHandler, JobMap, JobName, JobQueue, PendingJob, SendOptions, deferralOf } from './job-queue';

/**
 * pg-boss's own pool (README, "Connections"): handlers use the app's pool, so this one serves only the
 * fetch loops, completions and sends outside a transaction, one short statement each, at any JOB_CONCURRENCY.
 */
export const PG_BOSS_POOL_SIZE = 4;

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

/** How long a queue's loop waits for work when nobody woke it (jobs due later, jobs sent by another instance). */
const IDLE_POLL_MS = 1_000;

interface QueueLoop {
  name: JobName;
  handler: JobHandler<JobName>;
  /** Jobs of this queue running now. */
  active: number;
  /** Woken since its last fetch began: fetch again before waiting. */
  woken: boolean;
  /** The last fetch filled every free slot, so more may be waiting. */
  saturated: boolean;
  wakeUp?: () => void;
  done: Promise<void>;
}

/** Settles with the promise, or rejects once `seconds` have passed (the promise runs on). */
async function withinSeconds<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = (reject: (e: Error) => void) => reject(new Error(`handler ran past its job's expiry of ${seconds} s`));
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => expiry(reject), Math.max(1, seconds) * 1000)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
  private readonly loops = new Map<JobName, QueueLoop>();
  private started = false;
  /** Job handlers running now (stop() waits for them, bounded). */
  private handling = 0;
  private lastOutageLog = 0;
  private suppressed = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, dataSource: DataSource) {
    super();
    const { url } = dataSource.options as { url?: string };
    // pg's own options are passed on to its pool (pg-boss's types do not list them).
    const options: PgBoss.ConstructorOptions & Record<'connectionTimeoutMillis' | 'statement_timeout' | 'idle_in_transaction_session_timeout', number> = {
      connectionString: url,
      schema: 'pgboss',
      application_name: 'helpdesk-jobs',
      max: PG_BOSS_POOL_SIZE,
      // As the app's pool: a caller gives up (and tries again) rather than wait forever; a hung statement ends.
      connectionTimeoutMillis: 10_000,
      statement_timeout: 60_000,
      idle_in_transaction_session_timeout: 60_000,
      supervise: true,
      schedule: false,
      migrate: true,
    };
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

  /**
   * Starts one fetch loop per queue with a registered handler; called once every module is ready (see
   * StartupOrder). A loop fetches as many jobs as the queue has free slots (JOB_CONCURRENCY running jobs
   * per queue), runs them side by side, and fetches again when woken (a job sent here, a slot freed after
   * a full fetch) or after a second of nothing. pg-boss's own `work()` would poll once per second per
   * concurrent slot (16 slots × 9 queues = 144 queries a second on an idle desk); this is one per queue,
   * and the loops are this instance's own, so stop() knows when the last one has ended.
   */
  async startWorkers(): Promise<void> {
    this.started = true;
    for (const [name, handler] of this.handlers) {
      const loop: QueueLoop = { name, handler, active: 0, woken: false, saturated: false, wakeUp: undefined, done: Promise.resolve() };
      this.loops.set(name, loop);
      loop.done = this.fetchLoop(loop);
    }
  }

  private async fetchLoop(loop: QueueLoop): Promise<void> {
    const slots = this.config.jobConcurrency;
    while (this.started) {
      const free = slots - loop.active;
      if (free > 0) {
        loop.woken = false;
        // pg-boss's fetch reports nothing when the database is away: it returns no jobs, and the loop waits.
        const jobs = await this.boss.fetch<JobMap[JobName]>(loop.name, { batchSize: free, includeMetadata: true, priority: true }).catch(() => []);
        // Jobs fetched while stopping run too (stop() waits for them, bounded): they are active in pg-boss now.
        loop.saturated = jobs.length === free;
        for (const job of jobs) void this.runJob(loop, job);
        // More may be waiting: fetch again now (when slots are left) or as soon as a slot frees.
        if (loop.saturated && loop.active < slots) continue;
      }
      // With every slot taken, a wake is kept for when a slot frees (the finishing job wakes the loop again).
      if (loop.woken && loop.active < slots) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_POLL_MS);
        loop.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      loop.wakeUp = undefined;
    }
  }

  private poke(loop: QueueLoop): void {
    loop.woken = true;
    loop.wakeUp?.();
  }

  private async runJob(loop: QueueLoop, job: PgBoss.JobWithMetadata<JobMap[JobName]>): Promise<void> {
    this.handling++;
    loop.active++;
    let outcome: 'complete' | { message: string };
    try {
      // Like pg-boss's work(): a handler that outlives its job's expiry gives its slot back (pg-boss retries the job).
      outcome = await withWorkContext(jobContext(loop.name, job.data), () => withinSeconds(this.run(loop.name, loop.handler, job), job.expireInSeconds)).then(
        () => 'complete' as const,
        (error: Error) => ({ message: error.message }),
      );
    } finally {
      loop.active--;
    }
    try {
      if (outcome === 'complete') await this.boss.complete(loop.name, job.id);
      else await this.boss.fail(loop.name, job.id, outcome);
    } catch (error) {
      // The job stays active in pg-boss until its expiry, then comes back: nothing is lost.
      this.reportError(error as Error);
    } finally {
      this.handling--;
    }
    if (loop.saturated || loop.woken) this.poke(loop);
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
    if (options.singleton) Object.assign(sendOptions, { singletonKey: options.singleton.key, singletonSeconds: options.singleton.seconds });
    await this.boss.send(name, data, sendOptions);
    // Outside a transaction the job is visible now; inside one, the UnitOfWork wakes after COMMIT.
    if (!options.tx && !options.startAfterSeconds) this.wake(name);
  }

  /** The unit of work's jobs, in one INSERT of its transaction. */
  override async sendAll(jobs: PendingJob[], tx: EntityManager): Promise<void> {
    const rows: PgBoss.JobInsert[] = jobs.map(({ name, data, options }) => ({
      name,
      data,
      priority: options.priority,
      startAfter: options.startAfterSeconds ? `${options.startAfterSeconds} seconds` : undefined,
      singletonKey: options.singleton?.key,
      singletonSeconds: options.singleton?.seconds,
    }));
    await this.boss.insert(rows, { db: executorOf(tx) });
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
    const loop = this.loops.get(name);
    if (loop) this.poke(loop);
  }

  /** Stops fetching, waits (bounded) for running jobs; unfinished ones are retried by whichever instance runs next. */
  async stop(): Promise<void> {
    this.started = false;
    for (const loop of this.loops.values()) this.poke(loop);
    // The loops end after their current fetch; they and the running jobs get 6 s (within the 9 s a stop may take).
    const deadline = Date.now() + 6_000;
    await Promise.race([Promise.all([...this.loops.values()].map((l) => l.done)), new Promise((r) => setTimeout(r, 6_000).unref())]);
    await this.drained(deadline - Date.now());
    await this.boss.stop({ graceful: false, close: true });
  }

  private async run(name: JobName, handler: JobHandler<JobName>, job: PgBoss.JobWithMetadata<JobMap[JobName]>): Promise<void> {
    const started = performance.now();
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
    }
  }
}
