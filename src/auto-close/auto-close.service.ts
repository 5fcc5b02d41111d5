import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { formatWindow } from '../forum/jobs/lifecycle.job';
import { UnitOfWork } from '../jobs/unit-of-work';
import { withWorkContext } from '../logging/work-context';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { IdleWarning, TicketRepository } from '../tickets/repositories/ticket.repository';

const SWEEP_EVERY_MS = 60_000;
/**
 * The customer is warned when this share of AUTO_CLOSE_AFTER is left, and is always given at least
 * that long after the warning (a sweep after a downtime warns, and closes only that much later).
 */
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
    await this.sweep(new Date()).catch((error: Error) => this.logger.warn(`auto-close sweep failed: ${error.message}`));
  }

  /**
   * Closes and warns what is due at `now` (the clock is a parameter so tests can move it); returns the
   * tickets this sweep warned and closed.
   */
  async sweep(now: Date): Promise<{ warned: number[]; closed: number[] }> {
    const after = this.config.autoCloseAfterMs / 1000;
    const notice = after * WARN_AT_REMAINING;
    const closed = await this.uow.run(async (tx) => {
      const ids = await this.tickets.closeIdle(after, notice, now, tx.db);
      for (const ticketId of ids) await withWorkContext({ ticket: ticketId }, () => tx.publish('ticket.closed', { ticketId, by: 'auto' }));
      return ids;
    });
    for (const ticketId of closed) withWorkContext({ ticket: ticketId }, () => this.logger.log(`ticket #${ticketId} closed automatically: the customer was silent after the warning`));

    const due = await this.tickets.claimIdleWarnings(after - notice, after, notice, now);
    const warned: number[] = [];
    for (const ticket of due) {
      if (await withWorkContext({ ticket: ticket.ticketId, chat: ticket.customerId }, () => this.warn(ticket, now))) warned.push(ticket.ticketId);
    }
    return { warned, closed };
  }

  /** Sends the warning claimed at `claimedAt`; false when it did not reach the customer (and does not count). */
  private async warn(ticket: IdleWarning, claimedAt: Date): Promise<boolean> {
    const left = formatWindow(Math.max(60_000, ticket.leftSeconds * 1000), ticket.language);
    try {
      await this.gateway.sendMessage(
        ticket.customerId,
        this.i18n.t(ticket.language, 'close.warning', { ticket: ticket.ticketId, left }),
        { reply_markup: { inline_keyboard: [[{ text: this.i18n.t(ticket.language, 'close.keepButton'), callback_data: `keep:${ticket.ticketId}` }]] } },
        { lane: 'customer' },
      );
      this.logger.log(`ticket #${ticket.ticketId}: the customer was warned that it closes in ${left}`);
      return true;
    } catch (error) {
      // A customer who blocked the bot cannot be warned, nor told of the close: the warning counts as given.
      if (error instanceof TelegramCallError && error.kind === 'blocked') {
        this.logger.log(`ticket #${ticket.ticketId}: the customer blocked the bot; it closes without a warning`);
        return true;
      }
      // Not delivered (or not known to be): a close must not follow a warning the customer never saw, so
      // the mark goes and the next sweep warns again (twice is better than a close out of the blue).
      const reason = (error as Error).message;
      await this.tickets.withdrawIdleWarning(ticket.ticketId, claimedAt).then(
        () => this.logger.warn(`ticket #${ticket.ticketId}: the auto-close warning failed (${reason}); it will be sent again`),
        (failure: Error) =>
          this.logger.error(`ticket #${ticket.ticketId}: the auto-close warning failed (${reason}) and stays marked as sent (${failure.message}): it may close unwarned`),
      );
      return false;
    }
  }
}
