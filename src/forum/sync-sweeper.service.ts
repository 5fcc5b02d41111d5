import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { JobName, JobQueue } from '../jobs/job-queue';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { TopicRepository } from '../tickets/repositories/topic.repository';

const SWEEP_EVERY_MS = 30_000;
const BATCH = 500;
/** An acknowledgement gets this long on top of the sweep age: the inline send and its job come first. */
const ACK_GRACE_S = 30;

/**
 * The safety net under the sync jobs: finds tickets whose topic or copies are still missing (after a
 * crash, or after a job spent its retries while Telegram was down) and enqueues their sync again.
 */
@Injectable()
export class SyncSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger('SyncSweeper');

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

  /** Enqueues the jobs of every ticket with work older than `minAgeSeconds`; returns how many. */
  async sweep(minAgeSeconds: number): Promise<number> {
    const sweeps: { job: Extract<JobName, 'ticket.sync' | 'ticket.deliver' | 'ticket.ack'>; find: () => Promise<number[]> }[] = [
      {
        job: 'ticket.sync',
        find: async () => {
          const ids = [...(await this.topics.withoutTopic(minAgeSeconds, BATCH)), ...(await this.messages.ticketsWithPending('customer', minAgeSeconds, BATCH))];
          return [...new Set(ids)].slice(0, BATCH);
        },
      },
      { job: 'ticket.deliver', find: () => this.messages.ticketsWithPending('agent', minAgeSeconds, BATCH) },
      // An acknowledgement lost between COMMIT and the send (a crash) is sent late rather than never.
      { job: 'ticket.ack', find: () => this.tickets.unacknowledged(minAgeSeconds + ACK_GRACE_S, BATCH) },
    ];
    let total = 0;
    for (const { job, find } of sweeps) {
      const ids = await find();
      for (const ticketId of ids) {
        await this.jobs.send(job, { ticketId }, { singleton: { key: `sweep:${ticketId}`, seconds: SWEEP_EVERY_MS / 1000 } });
      }
      if (ids.length) this.logger.log(`re-enqueued ${job} for ${ids.length} ticket(s) with pending work`);
      total += ids.length;
    }
    return total;
  }
}
