import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource, EntityManager } from 'typeorm';
import type { EventMap, EventName } from '../events/event-map';
import { noteTicket } from '../logging/work-context';
import { JobMap, JobName, JobQueue, PendingJob, SendOptions } from './job-queue';

/** One transaction, as the code inside it sees it. */
export interface Tx {
  /** The transaction's EntityManager, for repositories. */
  readonly db: EntityManager;
  /** Writes a job in this transaction (just before COMMIT, with the others): it exists exactly when the data it follows from does. */
  send<N extends JobName>(name: N, data: JobMap[N], options?: Omit<SendOptions, 'tx'>): Promise<void>;
  /** Publishes a domain fact to its listeners, which run (awaited) inside this transaction. */
  publish<E extends EventName>(event: E, payload: EventMap[E]): Promise<void>;
}

/**
 * Runs a transaction, hands out a job handle bound to it, and wakes this instance's workers of every
 * queue it sent to once the transaction has committed (a worker woken before COMMIT does not see the
 * job and sleeps until its next poll). No code outside this folder wakes a queue.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * `afterCommit` runs after COMMIT and before the wake-up: the caller's own one send (the customer's
   * acknowledgement) goes out before the background work it started competes for Telegram's budget.
   */
  async run<T>(work: (tx: Tx) => Promise<T>, afterCommit?: (result: T) => Promise<void>): Promise<T> {
    const queues = new Set<JobName>();
    const result = await this.dataSource.transaction(async (db) => {
      // The jobs are written together, in one statement, after the work and before COMMIT.
      const jobs: PendingJob[] = [];
      const tx: Tx = {
        db,
        send: async (name, data, options = {}) => {
          jobs.push({ name, data, options });
          queues.add(name);
        },
        publish: async (event, payload) => {
          // Every fact has a listener that writes its follow-up; none means the app is not wired (or not
          // started) yet, and committing the fact without its jobs would lose them.
          if (!this.events.hasListeners(event)) throw new Error(`no listener for the event ${event}`);
          // A fact about a ticket makes the rest of this update's (or job's) log lines name it.
          if ('ticketId' in payload) noteTicket(payload.ticketId);
          await this.events.emitAsync(event, payload, tx);
        },
      };
      const value = await work(tx);
      if (jobs.length) await this.queue.sendAll(jobs, db);
      return value;
    });
    try {
      if (afterCommit) await afterCommit(result);
    } finally {
      for (const name of queues) this.queue.wake(name);
    }
    return result;
  }
}
