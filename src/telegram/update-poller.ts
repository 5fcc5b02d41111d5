import { Logger } from '@nestjs/common';
import type { Telegram } from 'telegraf';
import type { Update } from 'telegraf/types';
import { TelegramCallError, classifyTelegramError } from './telegram-error';

/** While updates are being handled, how long to wait before asking Telegram for newer ones. */
const REPOLL_WHILE_BUSY_MS = 100;

export interface PollerOptions {
  allowedUpdates: readonly string[];
  /** Long-poll timeout in seconds. */
  timeout?: number;
  /** Updates being handled at once; beyond it the poller waits before fetching more. */
  maxInFlight?: number;
}

/**
 * Long polling that, unlike telegraf's loop, does not wait for a whole batch before fetching the next:
 * a slow update of one chat never holds up the others. Offsets are confirmed only up to the oldest
 * update still being handled, so a crash makes Telegram deliver the unfinished ones again (the
 * database's record of handled updates skips the rest).
 */
export class UpdatePoller {
  private readonly logger = new Logger('Polling');
  private readonly inFlight = new Set<number>();
  /** Ids at or above the confirmed offset that were already dispatched (Telegram returns them again). */
  private readonly dispatched = new Set<number>();
  private offset = 0;
  private highest = -1;
  private controller?: AbortController;
  private running?: Promise<void>;
  private wakeCapacity?: () => void;
  private readonly settled = new Set<() => void>();

  constructor(
    private readonly telegram: Telegram,
    private readonly handle: (update: Update) => Promise<void>,
    private readonly options: PollerOptions,
  ) {}

  /** Resolves once the first getUpdates answered; rejects on a fatal error (bad token, another poller). */
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

  /** Stops fetching, waits for the updates in hand, and confirms them so they are not delivered again. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running;
    while (this.inFlight.size) await new Promise((r) => setTimeout(r, 10));
    if (this.highest >= 0) {
      await this.telegram
        .callApi('getUpdates', { offset: this.highest + 1, limit: 1, timeout: 0 })
        .catch((error: Error) => this.logger.warn(`could not confirm the last updates: ${error.message}`));
    }
  }

  private async loop(started: () => void): Promise<void> {
    const signal = this.controller!.signal;
    let failures = 0;
    let first = true;
    while (!signal.aborted) {
      if (this.inFlight.size >= (this.options.maxInFlight ?? 500)) {
        await new Promise<void>((resolve) => (this.wakeCapacity = resolve));
        continue;
      }
      let updates: Update[];
      try {
        updates = await this.telegram.callApi(
          'getUpdates',
          { offset: this.confirmable(), timeout: first ? 0 : (this.options.timeout ?? 30), allowed_updates: [...this.options.allowedUpdates] as never },
          { signal: signal as never },
        );
        failures = 0;
      } catch (raw) {
        if (signal.aborted) return;
        const error = classifyTelegramError('getUpdates', raw);
        if (!error.retriable) throw error;
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
      let fresh = 0;
      for (const update of updates) if (this.dispatch(update)) fresh++;
      // Telegram answers at once with the unconfirmed updates still being handled; rather than spin,
      // wait for one of them to finish (or a moment, so new updates of other chats are not held up).
      if (fresh === 0 && this.inFlight.size > 0) await this.settle(REPOLL_WHILE_BUSY_MS);
    }
  }

  private settle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.settled.add(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private dispatch(update: Update): boolean {
    const id = update.update_id;
    if (this.dispatched.has(id)) return false;
    this.dispatched.add(id);
    this.inFlight.add(id);
    this.highest = Math.max(this.highest, id);
    void this.handle(update)
      .catch((error: Error) => this.logger.error(`update ${id}: ${error.message}`))
      .finally(() => {
        this.inFlight.delete(id);
        this.wakeCapacity?.();
        this.wakeCapacity = undefined;
        for (const done of this.settled) done();
        this.settled.clear();
      });
    return true;
  }

  /** The offset to send: everything below the oldest unfinished update is confirmed. */
  private confirmable(): number {
    const oldest = this.inFlight.size ? Math.min(...this.inFlight) : this.highest + 1;
    const offset = Math.max(this.offset, oldest);
    if (offset > this.offset) {
      for (const id of this.dispatched) if (id < offset) this.dispatched.delete(id);
      this.offset = offset;
    }
    return this.offset;
  }
}
