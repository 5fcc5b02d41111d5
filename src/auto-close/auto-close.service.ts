import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { formatWindow } from '../forum/jobs/lifecycle.job';
import { JobQueue } from '../jobs/job-queue';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { updateReturning } from '../database/sql';

const SWEEP_EVERY_MS = 60_000;
/** The customer is warned when this share of AUTO_CLOSE_AFTER is left. */
const WARN_AT_REMAINING = 0.25;

/** The time of a ticket's last sign of life: its last message, its reopening, or its opening. */
const LAST_ACTIVITY = `GREATEST(t.created_at, COALESCE(t.reopened_at, t.created_at),
  COALESCE((SELECT max(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id), t.created_at))`;

/**
 * Stale tickets close themselves: after AUTO_CLOSE_AFTER without a message from either side, the customer
 * is first warned, then the ticket closes (the customer is told, the topic noted and closed). Every
 * instance may sweep; the conditional UPDATE lets one of them win each ticket.
 */
@Injectable()
export class AutoCloseService {
  private readonly logger = new Logger('AutoClose');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  @Interval(SWEEP_EVERY_MS)
  async onInterval(): Promise<void> {
    await this.sweep().catch((error: Error) => this.logger.warn(`auto-close sweep failed: ${error.message}`));
  }

  /** Warns and closes what is due now; returns how many were warned and closed. */
  async sweep(): Promise<{ warned: number; closed: number }> {
    const after = this.config.autoCloseAfterMs / 1000;
    const closed: { id: string }[] = await this.dataSource.transaction(async (m) => {
      const rows = await updateReturning<{ id: string }>(
        m,
        `UPDATE tickets t SET status = 'closed', closed_at = now(), closed_by = 'auto', updated_at = now()
          WHERE t.status = 'open' AND ${LAST_ACTIVITY} < now() - make_interval(secs => $1) RETURNING t.id`,
        [after],
      );
      for (const row of rows) await this.jobs.send('ticket.lifecycle', { ticketId: Number(row.id), event: 'closed', by: 'auto' }, { tx: m });
      return rows;
    });
    if (closed.length) {
      this.logger.log(`closed ${closed.length} idle ticket(s): ${closed.map((r) => `#${r.id}`).join(', ')}`);
      this.jobs.wake('ticket.lifecycle');
    }

    const warnAt = after * (1 - WARN_AT_REMAINING);
    const due = await updateReturning<{ id: string; customer_id: string; language: 'ru' | 'en'; left_s: number }>(
      this.dataSource,
      `UPDATE tickets t SET auto_close_warned_at = now()
        WHERE t.status = 'open' AND ${LAST_ACTIVITY} < now() - make_interval(secs => $1)
          AND (t.auto_close_warned_at IS NULL OR t.auto_close_warned_at < ${LAST_ACTIVITY})
        RETURNING t.id, t.customer_id, t.language, $2 - EXTRACT(EPOCH FROM (now() - ${LAST_ACTIVITY})) AS left_s`,
      [warnAt, after],
    );
    for (const ticket of due) {
      const left = formatWindow(Math.max(60_000, Number(ticket.left_s) * 1000), ticket.language);
      await this.gateway
        .sendMessage(Number(ticket.customer_id), this.i18n.t(ticket.language, 'close.warning', { ticket: ticket.id, left }), {}, { lane: 'customer' })
        .catch((error: Error) => this.logger.warn(`ticket #${ticket.id}: the auto-close warning failed: ${error.message}`));
    }
    return { warned: due.length, closed: closed.length };
  }
}
