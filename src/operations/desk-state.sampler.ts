import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { isInfrastructureError } from '../database/infrastructure-error';
import { JOB_NAMES } from '../jobs/job-queue';
import { Metrics } from '../metrics/metrics.service';
import { DeskState, DeskStateRepository } from './repositories/desk-state.repository';

const SAMPLE_EVERY_MS = 5000;
/** A scrape finds numbers at most this old, waiting for a fresh sample at most this long. */
const FRESH_MS = 250;
const SCRAPE_WAIT_MS = 300;

/**
 * Reads the desk's numbers (the group backlog, waiting jobs, open and waiting tickets) from the database
 * every few seconds into the metrics' gauges. `/metrics` and `/ready` use the last sample and never wait
 * for the database longer than a moment, so they answer even when it hangs.
 */
@Injectable()
export class DeskStateSampler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private sampledAt = 0;
  private failing = false;
  last?: DeskState;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: DeskStateRepository,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** A sample at most FRESH_MS old, if the database gives one within SCRAPE_WAIT_MS; else the last one. */
  async fresh(): Promise<DeskState | undefined> {
    if (Date.now() - this.sampledAt > FRESH_MS) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.sample(), new Promise((resolve) => (timer = setTimeout(resolve, SCRAPE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return this.last;
  }

  /** One sample at a time; a scrape during one joins it. */
  sample(): Promise<void> {
    this.sampling ??= this.read().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private async read(): Promise<void> {
    try {
      const state = await this.repository.read();
      for (const id of this.config.supportChatIds) {
        const group = String(id);
        this.metrics.groupBacklog.set({ group }, state.byGroup[group]?.backlog ?? 0);
        this.metrics.groupBacklogAge.set({ group }, Math.max(0, state.byGroup[group]?.oldest ?? 0));
      }
      this.metrics.ticketsOpen.set(state.ticketsOpen);
      this.metrics.ticketsWaiting.set(state.ticketsWaiting);
      for (const queue of JOB_NAMES) this.metrics.jobsWaiting.set({ queue }, state.jobsWaiting[queue] ?? 0);
      this.last = state;
      this.sampledAt = Date.now();
      this.failing = false;
    } catch (error) {
      // An outage is reported by the inbox and the jobs; here once at most, and quietly after.
      const line = `could not read the desk's numbers: ${(error as Error).message}`;
      if (this.failing || isInfrastructureError(error)) this.logger.debug(line);
      else this.logger.warn(line);
      this.failing = true;
    }
  }
}
