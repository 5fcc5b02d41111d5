import { Logger } from '@nestjs/common';
import type { Telegram } from 'telegraf';
import type { Update } from 'telegraf/types';
import { isInfrastructureError } from '../database/infrastructure-error';
import { TelegramCallError, classifyTelegramError } from './telegram-error';

export interface PollerOptions {
  allowedUpdates: readonly string[];
  /** Long-poll timeout in seconds. */
  timeout?: number;
}

/** Beyond the long-poll timeout, how long a getUpdates may take before the connection is taken for dead. */
const POLL_GRACE_MS = 15_000;

/**
 * Long polling into the durable inbox. Each batch is stored (`store`) before its offset is confirmed,
 * so nothing Telegram hands over is lost: while the database cannot take the batch the offset stays
 * where it is and Telegram keeps the updates. Handling happens from the inbox, so one chat's backlog
 * never keeps other chats' updates from being fetched.
 */
export class UpdatePoller {
  private readonly logger = new Logger('Polling');
  private offset = 0;
  private controller?: AbortController;
  private running?: Promise<void>;

  constructor(
    private readonly telegram: Telegram,
    private readonly store: (updates: Update[]) => Promise<void>,
    private readonly options: PollerOptions,
  ) {}

  /** Resolves once the first getUpdates answered; a fatal error (a revoked token) goes to onFatal. */
  start(onFatal: (error: TelegramCallError) => void): Promise<void> {
    this.controller = new AbortController();
    let started!: () => void;
    const first = new Promise<void>((resolve) => (started = resolve));
    this.running = this.loop(started).catch((error: TelegramCallError) => {
      started();
      onFatal(error);
    });
    return first;
  }

  /** Stops fetching and confirms what was stored, so it is not delivered again. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running;
    if (this.offset > 0) {
      await this.telegram
        .callApi('getUpdates', { offset: this.offset, limit: 1, timeout: 0 })
        .catch((error: Error) => this.logger.warn(`could not confirm the last updates: ${error.message}`));
    }
  }

  /** One long poll, with a deadline of its own: a half-open connection must not stop intake for minutes. */
  private async getUpdates(timeout: number, stopping: AbortSignal): Promise<Update[]> {
    const overdue = new AbortController();
    const timer = setTimeout(() => overdue.abort(), timeout * 1000 + POLL_GRACE_MS);
    try {
      return await this.telegram.callApi(
        'getUpdates',
        { offset: this.offset, timeout, allowed_updates: [...this.options.allowedUpdates] as never },
        { signal: AbortSignal.any([stopping, overdue.signal]) as never },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async loop(started: () => void): Promise<void> {
    const signal = this.controller!.signal;
    let failures = 0;
    let storeFailures = 0;
    let first = true;
    while (!signal.aborted) {
      let updates: Update[];
      const timeout = first ? 0 : (this.options.timeout ?? 30);
      try {
        updates = await this.getUpdates(timeout, signal);
        failures = 0;
      } catch (raw) {
        if (signal.aborted) return;
        const error = classifyTelegramError('getUpdates', raw);
        // 409: another getUpdates (an instance stepping down, a webhook being removed) still holds the bot.
        if (!error.retriable && error.code !== 409) throw error;
        failures++;
        const waitMs = error.kind === 'retry-after' ? (error.retryAfterSeconds ?? 1) * 1000 : Math.min(5000, 200 * 2 ** failures);
        if (failures === 1 || failures % 10 === 0) this.logger.warn(`getUpdates failed (${error.description}); retrying in ${waitMs} ms`);
        await new Promise((r) => setTimeout(r, waitMs));
        continue;
      }
      if (first) {
        first = false;
        started();
      }
      // Everything is stored, even an update older than the offset (Telegram delivers at least once):
      // the inbox keeps one row per update_id, so a second copy is dropped there.
      const fresh = updates;
      if (!fresh.length) continue;
      try {
        await this.store(fresh);
      } catch (error) {
        // Not stored, so not confirmed: the same updates come again with the next getUpdates.
        storeFailures++;
        const waitMs = Math.min(5000, 250 * 2 ** Math.min(storeFailures, 5));
        const what = isInfrastructureError(error) ? 'the database is unreachable' : 'storing failed';
        if (storeFailures === 1) this.logger.warn(`${what} (${(error as Error).message}); ${fresh.length} update(s) stay with Telegram until they are stored`);
        await new Promise((r) => setTimeout(r, waitMs));
        continue;
      }
      if (storeFailures) this.logger.log(`updates are stored again after ${storeFailures} failed attempt(s)`);
      storeFailures = 0;
      this.offset = Math.max(this.offset, ...fresh.map((update) => update.update_id + 1));
    }
  }
}
