import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isInfrastructureError } from '../database/infrastructure-error';
import { CategoryCatalog } from '../tickets/category-catalog.service';
import { CategoryLabel, RetentionRepository } from './repositories/retention.repository';

const PRUNE_EVERY_MS = 3_600_000;
/** The first round, a little after the start (not in the middle of it). */
const FIRST_AFTER_MS = 60_000;

export interface PruneResult {
  updates: number;
  inbox: number;
  tickets: number;
  drafts: number;
}

/**
 * Deletes what is kept only for a while: handled Telegram updates (their raw payloads in the inbox and
 * the ids that make a redelivery a no-op) after UPDATE_RETENTION, and, when TICKET_RETENTION is set,
 * the texts of tickets closed longer ago than that, their titles and rating comments among them (and
 * drafts of customers gone as long). Every
 * instance may run it; the statements are batched and idempotent.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private first?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly retention: RetentionRepository,
    private readonly catalog: CategoryCatalog,
  ) {}

  onApplicationBootstrap(): void {
    this.first = setTimeout(() => void this.onInterval(), FIRST_AFTER_MS);
    this.first.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.first);
    await this.running?.catch(() => undefined);
  }

  @Interval(PRUNE_EVERY_MS)
  async onInterval(): Promise<void> {
    if (this.running) return;
    this.running = this.prune()
      .catch((error: Error) => {
        const line = `pruning old data failed: ${error.message}; trying again in an hour`;
        if (isInfrastructureError(error)) this.logger.debug(line);
        else this.logger.warn(line);
      })
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async prune(): Promise<PruneResult> {
    const updateSeconds = this.config.updateRetentionMs / 1000;
    const result: PruneResult = {
      updates: await this.retention.deleteProcessedUpdates(updateSeconds),
      inbox: await this.retention.deleteInbox(updateSeconds),
      tickets: 0,
      drafts: 0,
    };
    if (this.config.ticketRetentionMs > 0) {
      const ticketSeconds = this.config.ticketRetentionMs / 1000;
      result.tickets = await this.retention.eraseClosedTicketTexts(ticketSeconds, this.labels());
      result.drafts = await this.retention.eraseStaleDrafts(ticketSeconds);
    }
    if (result.updates || result.inbox || result.tickets || result.drafts) {
      this.logger.log(
        `deleted ${result.inbox} inbox update(s) and ${result.updates} update id(s) older than UPDATE_RETENTION` +
          (this.config.ticketRetentionMs > 0 ? `; the texts of ${result.tickets} ticket(s) and ${result.drafts} draft(s) older than TICKET_RETENTION` : ''),
      );
    }
    return result;
  }

  /** Every category and subcategory with its label in the team's language, as the plain topic title shows it. */
  private labels(): CategoryLabel[] {
    const language = this.config.supportLanguage;
    return this.catalog.categories.flatMap((category) => [
      { category: category.id, subcategory: null, label: this.catalog.label(language, category.id) },
      ...(category.subcategories ?? []).map((sub) => ({ category: category.id, subcategory: sub.id, label: this.catalog.label(language, category.id, sub.id) })),
    ]);
  }
}
