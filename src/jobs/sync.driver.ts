import { JobContext, JobHandler, JobMap, JobName, JobQueue, SendOptions } from './job-queue';

/**
 * A JobQueue for unit tests: a job runs its registered handler at once, inside `send`, and every job
 * sent is recorded, so a service can be tested without PostgreSQL or pg-boss. Jobs of a queue with no
 * handler are only recorded.
 */
export class SyncJobQueue extends JobQueue {
  readonly sent: { name: JobName; data: unknown; options: SendOptions }[] = [];
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  readonly woken: JobName[] = [];

  async send<N extends JobName>(name: N, data: JobMap[N], options: SendOptions = {}): Promise<void> {
    this.sent.push({ name, data, options });
    const handler = this.handlers.get(name);
    const context: JobContext = { id: String(this.sent.length), retryCount: 0 };
    if (handler) await handler(data, context);
  }

  wake(name: JobName): void {
    this.woken.push(name);
  }

  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }

  /** The payloads sent to one queue, in order. */
  sentTo<N extends JobName>(name: N): JobMap[N][] {
    return this.sent.filter((job) => job.name === name).map((job) => job.data as JobMap[N]);
  }
}
