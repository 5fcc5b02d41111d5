import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { JobName, JobQueue } from '../jobs/job-queue';
import { withWorkContext } from '../logging/work-context';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { TopicRepository } from '../tickets/repositories/topic.repository';

const SWEEP_EVERY_MS = 30_000;
const BATCH = 500;
/** An acknowledgement gets this long on top of the sweep age: the inline send and its job come first. */
const ACK_GRACE_S = 30;
/** Sweeps of one ticket's work at every interval before backing off: a passing fault is retried quickly. */
const QUICK_SWEEPS = 2;
/** The longest wait between sweeps of work that keeps failing. */
const MAX_BACKOFF_MS = 60 * 60_000;

type SweptJob = Extract<JobName, 'ticket.sync' | 'ticket.deliver' | 'ticket.ack'>;

/** How long to leave a ticket's work alone after its `sweeps`-th re-enqueue still did not finish it. */
export function sweepBackoffMs(sweeps: number): number {
  if (sweeps < QUICK_SWEEPS) return 0;
  return Math.min(MAX_BACKOFF_MS, SWEEP_EVERY_MS * 2 ** (sweeps - QUICK_SWEEPS + 1));
}

/**
 * The safety net under the sync jobs: finds tickets whose topic or copies are still missing (after a
 * crash, or after a job spent its retries while Telegram was down) and enqueues their sync again.
 *
 * Work that keeps failing (a message Telegram refuses for a reason no retry cures) is swept with a growing
 * pause — twice at the interval, then 1, 2, 4 … minutes up to an hour — and said once in the log, so one
 * broken ticket neither floods the queue nor takes the batch from the others. The pauses are this
 * instance's memory: a restart sweeps everything at once again.
 */
@Injectable()
export class SyncSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger('SyncSweeper');
  /** Per job and ticket: how many sweeps re-enqueued it, and when it may be swept again. */
  private readonly backoff = new Map<SweptJob, Map<number, { sweeps: number; nextAt: number }>>();

  constructor(
    private readonly tickets: TicketRepository,
    private readonly topics: TopicRepository,
    private readonly messages: TicketMessageRepository,
    private readonly jobs: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep(0).catch((error: Error) => this.logger.warn(`sweep at boot failed: ${error.message}`));
  }

  @Interval(SWEEP_EVERY_MS)
  async onInterval(): Promise<void> {
    await this.sweep(SWEEP_EVERY_MS / 1000).catch((error: Error) => this.logger.warn(`sweep failed: ${error.message}`));
  }

  /** Enqueues every ticket's pending work now, pauses forgotten: the cause (lost group rights) is gone. */
  async sweepNow(): Promise<number> {
    this.backoff.clear();
    return this.sweep(0);
  }

  /** Enqueues the jobs of every ticket with work older than `minAgeSeconds`; returns how many. */
  async sweep(minAgeSeconds: number, now = Date.now()): Promise<number> {
    const sweeps: { job: SweptJob; find: (skip: number[]) => Promise<number[]> }[] = [
      {
        job: 'ticket.sync',
        find: async (skip) => {
          const ids = [
            ...(await this.topics.withoutTopic(minAgeSeconds, BATCH, skip)),
            ...(await this.messages.ticketsWithPending('customer', minAgeSeconds, BATCH, skip)),
            ...(await this.topics.iconStale(minAgeSeconds, BATCH, skip)),
          ];
          return [...new Set(ids)].slice(0, BATCH);
        },
      },
      { job: 'ticket.deliver', find: (skip) => this.messages.ticketsWithPending('agent', minAgeSeconds, BATCH, skip) },
      // An acknowledgement lost between COMMIT and the send (a crash) is sent late rather than never.
      { job: 'ticket.ack', find: (skip) => this.tickets.unacknowledged(minAgeSeconds + ACK_GRACE_S, BATCH, skip) },
    ];
    let total = 0;
    for (const { job, find } of sweeps) {
      const state = this.backoff.get(job) ?? new Map<number, { sweeps: number; nextAt: number }>();
      this.backoff.set(job, state);
      const resting = [...state].filter(([, s]) => s.nextAt > now).map(([id]) => id);
      const ids = await find(resting);
      const found = new Set(ids);
      // Work no longer pending (and not resting) was finished: forget its count.
      for (const id of state.keys()) if (!found.has(id) && !resting.includes(id)) state.delete(id);
      for (const ticketId of ids) {
        // Outside any update or job: the ticket's lines (here and in what the send logs) name it themselves.
        await withWorkContext({ ticket: ticketId }, async () => {
          await this.jobs.send(job, { ticketId }, { singleton: { key: `sweep:${ticketId}`, seconds: SWEEP_EVERY_MS / 1000 } });
          const sweepsSoFar = (state.get(ticketId)?.sweeps ?? 0) + 1;
          const pause = sweepBackoffMs(sweepsSoFar);
          state.set(ticketId, { sweeps: sweepsSoFar, nextAt: now + pause });
          if (sweepsSoFar === QUICK_SWEEPS) {
            this.logger.warn(`ticket #${ticketId}: ${job} is still unfinished after ${sweepsSoFar} sweeps; sweeping it less often (next in ${pause / 60_000} min)`);
          }
        });
      }
      if (ids.length) this.logger.log(`re-enqueued ${job} for ${ids.length} ticket(s) with pending work`);
      total += ids.length;
    }
    return total;
  }
}
