import { Injectable, Logger } from '@nestjs/common';
import type { Update } from 'telegraf/types';
import { isInfrastructureError } from '../database/infrastructure-error';
import { withWorkContext } from '../logging/work-context';
import { ChatSequencer } from './chat-sequencer';
import { chatKeyOf } from './chat-key';
import { I18n } from './i18n/i18n.service';
import { InboxRepository } from './repositories/inbox.repository';
import { TelegramGateway } from './telegram.gateway';

/**
 * How long an instance owns an update it took; past it (a crash, a lost connection) any instance may.
 * Renewed for every update in hand, so a long queue behind one chat keeps its updates.
 */
const LEASE_S = 10;
const RENEW_EVERY_MS = 3000;
/** Attempts of an update failing for a reason that is not the infrastructure before it is parked. */
const MAX_ATTEMPTS = 5;
const REDRIVE_EVERY_MS = 1000;
const REDRIVE_BATCH = 100;
/** Handled updates are marked together, once per this many ms (a burst's hundred updates are a few statements). */
const MARK_EVERY_MS = 10;
/** How many of the updates marked handled lately are remembered (see accept). */
const MARKED_KEPT = 5000;

/**
 * The durable inbox. `accept` stores updates in PostgreSQL and only then returns, so the caller confirms
 * to Telegram (advances the polling offset, answers the webhook 2xx) only what is stored; when the
 * database cannot be reached it throws and nothing is confirmed. Stored updates are handled here, per
 * chat in order and chats concurrently: at once by the instance that stored them, and by a redrive loop
 * (any instance) when an attempt failed or its instance died. Failures of the infrastructure are retried
 * with back-off for as long as it takes; anything else is parked after a few attempts, logged with the
 * update's id, and no longer holds up its chat.
 */
@Injectable()
export class UpdateInbox {
  private readonly logger = new Logger('Inbox');
  private readonly sequencer = new ChatSequencer();
  /** Chats whose queued live updates must wait for the redrive: an earlier one of theirs failed. */
  private readonly deferred = new Set<string>();
  /** Updates this instance holds (queued or being handled): their leases are renewed. */
  private readonly inHand = new Set<number>();
  /** Updates this instance marked handled lately (see accept). */
  private readonly marked = new Set<number>();
  private renewal?: NodeJS.Timeout;
  private handler?: (update: Update) => Promise<void>;
  private timer?: NodeJS.Timeout;
  private running = false;
  private redriving?: Promise<void>;
  private outageSince?: number;
  /** Handled updates not marked yet, and the write that will mark them. */
  private unmarked = new Set<number>();
  private readonly beingMarked = new Set<number>();
  private marking?: Promise<void>;

  constructor(
    private readonly inbox: InboxRepository,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
  ) {}

  /** Starts handling stored updates with `handler` (the bot's middleware chain), and the redrive loop. */
  start(handler: (update: Update) => Promise<void>): void {
    this.handler = handler;
    this.running = true;
    this.schedule(0);
    this.renewal = setInterval(() => void this.renewLeases(), RENEW_EVERY_MS);
  }

  /** Stops the redrive loop and waits for the updates in hand; the rest stay stored for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.renewal);
    await this.redriving;
    await this.sequencer.idle();
    await this.marking;
  }

  /** Stores the updates; resolves once they are in PostgreSQL (throws if they could not be stored). */
  async accept(incoming: Update[]): Promise<void> {
    const receivedAt = Date.now();
    const storables = incoming.map(storable);
    const updates = storables.map((s) => s.update);
    const stored = await this.inbox.store(
      storables.map(({ update, json }) => ({ updateId: update.update_id, chatKey: chatKeyOf(update), payload: update, json })),
      LEASE_S,
    );
    const byId = new Map(updates.map((update) => [update.update_id, update]));
    for (const { updateId, olderPending } of stored) {
      const update = byId.get(updateId)!;
      // An older update of this chat is pending that this instance does not hold (another instance has
      // it, or an attempt failed): this one waits in the inbox, so the chat's order holds across instances.
      // One this instance marked handled while the store ran is not pending any more, though the store's
      // snapshot still saw it so.
      if (olderPending.some((id) => !this.inHand.has(id) && !this.marked.has(id) && !byId.has(id))) {
        void this.inbox.release(updateId).catch(() => undefined);
        continue;
      }
      void this.dispatch(update, 0, 'live', receivedAt);
    }
  }

  private dispatch(update: Update, attempts: number, how: 'live' | 'redrive', receivedAt: number): Promise<void> {
    const key = chatKeyOf(update);
    this.inHand.add(update.update_id);
    // Every line logged while the update is handled names it and its chat (see work-context.ts).
    const context = { updateId: update.update_id, receivedAt, ...(/^-?\d+$/.test(key) ? { chat: Number(key) } : {}) };
    return this.sequencer.run(key, () => withWorkContext(context, async () => {
      if (how === 'live' && this.deferred.has(key)) {
        await this.inbox.release(update.update_id).catch(() => undefined);
        return;
      }
      const handled = await this.handleOne(update, attempts, key);
      if (handled && how === 'redrive') await this.drainChat(key);
    })).finally(() => {
      // A handled update stays in hand until it is marked: until then it is pending in the inbox, and a
      // newer update of its chat must not take it for one another instance holds.
      if (!this.unmarked.has(update.update_id)) this.inHand.delete(update.update_id);
      if (!this.sequencer.has(key)) this.deferred.delete(key);
    });
  }

  /** Handles one update; false when it failed (and is due again later, or parked). */
  private async handleOne(update: Update, attempts: number, key: string): Promise<boolean> {
    if (!this.handler) return false;
    try {
      await this.handler(update);
    } catch (error) {
      this.deferred.add(key);
      await this.failed(update, attempts + 1, error as Error);
      return false;
    }
    this.markHandled(update.update_id);
    return true;
  }

  /**
   * Marks the update handled, with the others handled in the same few ms, without holding up its chat:
   * the update's lease outlasts the wait. If the write fails the lease runs out and the update is
   * handled again: its effects are recorded under its update_id, so the second run changes nothing.
   */
  private markHandled(updateId: number): void {
    this.unmarked.add(updateId);
    this.marking ??= new Promise((resolve) => setTimeout(resolve, MARK_EVERY_MS)).then(async () => {
      const ids = [...this.unmarked].filter((id) => !this.beingMarked.has(id));
      this.marking = undefined;
      for (const id of ids) this.beingMarked.add(id);
      const marked = await this.inbox.markHandled(ids).then(
        () => true,
        (error: Error) => {
          this.logger.warn(`update(s) ${ids.join(', ')}: handled, not marked: ${error.message}`);
          return false;
        },
      );
      for (const id of ids) {
        this.beingMarked.delete(id);
        this.unmarked.delete(id);
        this.inHand.delete(id);
        if (marked) this.marked.add(id);
      }
      // Only the last few thousand matter (the ones a store running now may have seen pending).
      for (const id of this.marked) {
        if (this.marked.size <= MARKED_KEPT) break;
        this.marked.delete(id);
      }
    });
  }

  private async failed(update: Update, attempt: number, error: Error): Promise<void> {
    const infrastructure = isInfrastructureError(error);
    const park = !infrastructure && attempt >= MAX_ATTEMPTS;
    const retryIn = infrastructure ? Math.min(30, 2 ** Math.min(attempt, 5)) : 2 ** attempt;
    if (park) this.logger.error(`update ${update.update_id} parked after ${attempt} attempts: ${error.message}`, error.stack);
    else if (infrastructure) this.noteOutage(`update ${update.update_id} waits for the infrastructure (${error.message}); retrying in ${retryIn} s`);
    else this.logger.warn(`update ${update.update_id} failed (attempt ${attempt}/${MAX_ATTEMPTS}): ${error.message}; retrying in ${retryIn} s`);
    // With the database away this write fails too: the lease runs out and the redrive takes the update.
    await this.inbox.recordFailure(update.update_id, error.message, park, retryIn).catch(() => undefined);
    if (park) await this.apologise(update);
  }

  /** A parked update of a customer: they are told something went wrong rather than left in silence. */
  private async apologise(update: Update): Promise<void> {
    const source = (update as { message?: { chat: { id: number; type: string }; from?: { language_code?: string } } }).message;
    if (source?.chat.type !== 'private') return;
    const language = this.i18n.pick(source.from?.language_code);
    await this.gateway.sendMessage(source.chat.id, this.i18n.t(language, 'error.generic'), {}, { lane: 'customer', retries: 0 }).catch(() => undefined);
  }

  /** After a redriven update, the chat's next ones follow at once rather than one per redrive round. */
  private async drainChat(key: string): Promise<void> {
    const [next] = await this.inbox.claimDue(1, LEASE_S, key).catch(() => []);
    if (next) void this.dispatch(next.update, next.attempts, 'redrive', next.receivedAt.getTime());
  }

  private async renewLeases(): Promise<void> {
    if (!this.inHand.size) return;
    await this.inbox.renew([...this.inHand], LEASE_S).catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.redriving = this.redrive().finally(() => this.schedule(this.outageSince ? Math.min(5000, REDRIVE_EVERY_MS * 3) : REDRIVE_EVERY_MS));
    }, delayMs);
  }

  private async redrive(): Promise<void> {
    try {
      const due = await this.inbox.claimDue(REDRIVE_BATCH, LEASE_S);
      if (this.outageSince) {
        this.logger.log(`the database is back after ${Math.round((Date.now() - this.outageSince) / 1000)} s; handling what waited`);
        this.outageSince = undefined;
      }
      if (due.length) this.logger.log(`redriving ${due.length} stored update(s)`);
      for (const { update, attempts, receivedAt } of due) void this.dispatch(update, attempts, 'redrive', receivedAt.getTime());
    } catch (error) {
      if (isInfrastructureError(error)) this.noteOutage(`the inbox cannot reach the database (${(error as Error).message})`);
      else this.logger.error(`inbox redrive failed: ${(error as Error).message}`);
    }
  }

  /** One warning per outage, not one per failed query. */
  private noteOutage(line: string): void {
    if (this.outageSince) {
      this.logger.debug(line);
      return;
    }
    this.outageSince = Date.now();
    this.logger.warn(`${line}; nothing is confirmed to Telegram until it is stored`);
  }
}

/**
 * The update as PostgreSQL can keep it, and its JSON (written once, for the store too): a NUL character
 * (U+0000) is refused in jsonb and text alike, so one such message would stop its whole batch from being
 * stored, and so confirmed, for good. It is invisible anyway; it becomes U+FFFD (the replacement
 * character). Anything else is kept as it came.
 */
export function storable(update: Update): { update: Update; json: string } {
  const json = JSON.stringify(update);
  if (!json.includes('\\u0000')) return { update, json };
  const clean = JSON.parse(json, (_key, value: unknown) => (typeof value === 'string' ? value.replace(/\u0000/g, '\uFFFD') : value)) as Update;
  return { update: clean, json: JSON.stringify(clean) };
}
