import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../jobs/unit-of-work';
import { TeamRepository } from './repositories/team.repository';

const SWEEP_EVERY_MS = 30_000;

/**
 * The first-response reminder: a ticket the team has not answered within SLA_FIRST_RESPONSE is
 * announced once in the General topic. Every instance sweeps; the conditional UPDATE gives each
 * ticket's reminder to one of them, in the same transaction as the job that posts it.
 */
@Injectable()
export class SlaService {
  private readonly logger = new Logger('Sla');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly team: TeamRepository,
  ) {}

  @Interval(SWEEP_EVERY_MS)
  async onInterval(): Promise<void> {
    await this.sweep().catch((error: Error) => this.logger.warn(`first-response sweep failed: ${error.message}`));
  }

  /** Claims and announces the reminders due at `now` (the clock is a parameter so tests can move it); returns the tickets. */
  async sweep(now: Date = new Date()): Promise<number[]> {
    if (!this.config.slaFirstResponseMs) return [];
    const due = await this.uow.run(async (tx) => {
      const ids = await this.team.claimSlaDue(this.config.slaFirstResponseMs / 1000, now, tx.db);
      for (const ticketId of ids) await tx.publish('ticket.slaMissed', { ticketId });
      return ids;
    });
    if (due.length) this.logger.log(`first answer overdue: ${due.map((id) => `#${id}`).join(', ')}`);
    return due;
  }
}
