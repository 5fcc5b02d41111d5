import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { JobQueue } from '../jobs/job-queue';

const SWEEP_EVERY_MS = 30_000;

/**
 * The safety net under the sync jobs: finds tickets whose topic or copies are still missing (after a
 * crash, or after a job spent its retries while Telegram was down) and enqueues their sync again.
 */
@Injectable()
export class SyncSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger('SyncSweeper');

  constructor(
    private readonly dataSource: DataSource,
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
    const age = `now() - make_interval(secs => $1)`;
    const sweeps: { job: 'ticket.sync' | 'ticket.deliver' | 'ticket.ack'; sql: string }[] = [
      {
        job: 'ticket.sync',
        sql: `SELECT t.id FROM tickets t WHERE (t.thread_id IS NULL OR t.card_message_id IS NULL) AND t.created_at < ${age}
              UNION SELECT m.ticket_id FROM ticket_messages m
               WHERE m.direction = 'customer' AND m.copied_at IS NULL AND m.failed_reason IS NULL AND m.created_at < ${age}`,
      },
      {
        job: 'ticket.deliver',
        sql: `SELECT DISTINCT m.ticket_id AS id FROM ticket_messages m
               WHERE m.direction = 'agent' AND m.copied_at IS NULL AND m.failed_reason IS NULL AND m.created_at < ${age}`,
      },
      // An acknowledgement lost between COMMIT and the send (a crash) is sent late rather than never.
      { job: 'ticket.ack', sql: `SELECT id FROM tickets WHERE ack_message_id IS NULL AND created_at < ${age} - interval '30 seconds'` },
    ];
    let total = 0;
    for (const { job, sql } of sweeps) {
      const rows: { id: string }[] = await this.dataSource.query(`${sql} LIMIT 500`, [minAgeSeconds]);
      for (const row of rows) {
        const ticketId = Number(row.id);
        await this.jobs.send(job, { ticketId }, { singleton: { key: `sweep:${ticketId}`, seconds: SWEEP_EVERY_MS / 1000 } });
      }
      if (rows.length) {
        this.logger.log(`re-enqueued ${job} for ${rows.length} ticket(s) with pending work`);
        this.jobs.wake(job);
      }
      total += rows.length;
    }
    return total;
  }
}
