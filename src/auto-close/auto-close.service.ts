import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { formatWindow } from '../forum/jobs/lifecycle.job';
import { UnitOfWork } from '../jobs/unit-of-work';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { TicketRepository } from '../tickets/repositories/ticket.repository';

const SWEEP_EVERY_MS = 60_000;
/** The customer is warned when this share of AUTO_CLOSE_AFTER is left. */
const WARN_AT_REMAINING = 0.25;

/**
 * Answered tickets close themselves: when an agent spoke last and the customer has been silent for
 * AUTO_CLOSE_AFTER, the customer is first warned (with an "I still need help" button), then the ticket
 * closes (`ticket.closed` by 'auto': the customer is told, the topic noted and closed). A ticket waiting
 * for the team never closes by itself. Every instance may sweep; the conditional UPDATEs let one of them
 * win each warning and each close.
 */
@Injectable()
export class AutoCloseService {
  private readonly logger = new Logger('AutoClose');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly tickets: TicketRepository,
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
    const closed = await this.uow.run(async (tx) => {
      const ids = await this.tickets.closeIdle(after, tx.db);
      for (const ticketId of ids) await tx.publish('ticket.closed', { ticketId, by: 'auto' });
      return ids;
    });
    if (closed.length) this.logger.log(`closed ${closed.length} idle ticket(s): ${closed.map((id) => `#${id}`).join(', ')}`);

    const due = await this.tickets.claimIdleWarnings(after * (1 - WARN_AT_REMAINING), after);
    for (const ticket of due) {
      const left = formatWindow(Math.max(60_000, ticket.leftSeconds * 1000), ticket.language);
      await this.gateway
        .sendMessage(
          ticket.customerId,
          this.i18n.t(ticket.language, 'close.warning', { ticket: ticket.ticketId, left }),
          { reply_markup: { inline_keyboard: [[{ text: this.i18n.t(ticket.language, 'close.keepButton'), callback_data: `keep:${ticket.ticketId}` }]] } },
          { lane: 'customer' },
        )
        .catch((error: Error) => this.logger.warn(`ticket #${ticket.ticketId}: the auto-close warning failed: ${error.message}`));
    }
    return { warned: due.length, closed: closed.length };
  }
}
