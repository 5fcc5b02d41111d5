/**
 * One Telegram budget for two or three instances of the desk.
 *
 * Telegram counts the bot, not the process: about 30 messages a second overall, about one a second per
 * chat (short bursts allowed), 20 a minute per group. Every instance still paces its own sends in memory
 * (SendScheduler: no database on the way to a send, so a single instance is as quick as ever); this
 * service only decides which part of each limit that scheduler may spend, from one small table every
 * instance writes and reads twice a second:
 *
 * - Heartbeat. Each instance has a row in `telegram_budget_members`: when it last wrote, its caps (the
 *   most it may have in the overall second and in each group's minute), what it has in those windows now,
 *   and the live instances it saw. One statement writes the row and reads the others' rows and the held
 *   chats. An instance whose last successful heartbeat is 2 s old stops sending until it writes one again
 *   (a database it cannot reach); a row 3 s old is a departed instance, as is one that left on shutdown.
 * - Fair parts. With N live instances each may hold floor(limit / N) of the overall second and of each
 *   group's minute, and 1/N of each chat's pace and burst (a burst of at least one): the parts never add
 *   up to more than the limit.
 * - Lowering a cap happens at once: the instance applies it before its next heartbeat tells the others.
 *   Raising one happens in a short transaction under an advisory lock (so two instances never take the
 *   same free part), to at most the limit minus what the others may still have in that window: for a live
 *   instance the larger of its cap and what it has sent lately, for a departed one what it had sent plus
 *   what its pace let it send before it stopped, until all of that has left the window. So when an
 *   instance dies the others go on with their parts at once and take over its part as its sends leave
 *   the windows (in seconds for the overall second, within a minute for a group's minute): no pause.
 * - Joining. A new instance sends nothing until every live instance has seen it (each one lowers its own
 *   parts on seeing it, before its heartbeat says so). If others are there (or were lately), its chats'
 *   buckets count as empty at that moment, since the others may just have spent Telegram's: its first
 *   message to a chat waits one interval of its pace. Alone, it holds every limit whole after its first
 *   heartbeat. A departed instance's part of each chat's pace is taken over once its sends to a chat
 *   have had time to drain from Telegram's bucket.
 * - Holds. A 429 for a chat is written to `telegram_chat_holds` (chat, until), and every instance holds
 *   that chat as long from its next heartbeat on.
 *
 * Customer-facing sends still go first within each instance's part. The heartbeat has a connection of its
 * own (not the pool's), and no connection is held while a send waits for budget: waiting is in memory.
 */
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import {
  BudgetLimits,
  Claims,
  Member,
  NO_CLAIMS,
  STOP_AFTER_MS,
  SYNC_EVERY_MS,
  canRaise,
  isLive,
  lowered,
  plan,
  raised,
} from './budget-shares';
import { BudgetRepository } from './repositories/budget.repository';
import { SendScheduler, ShareOfLimit } from './send-scheduler';

/** How long shutting down waits to write that this instance left. */
const LEAVE_WITHIN_MS = 1000;

@Injectable()
export class SharedBudget implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Budget');
  /** This process's row; a restarted instance is a new one. */
  readonly instanceId = randomUUID();
  private readonly limits: BudgetLimits;
  private caps: Claims = NO_CLAIMS;
  private fair: Claims = NO_CLAIMS;
  private paceDivisor = 1;
  private peers: string[] = [];
  private instances = 0;
  /** Not yet seen by every live instance (or back after missing heartbeats): sends nothing. */
  private joining = true;
  /** When this instance began to send beside others: its chats' buckets start empty then (see SendShare). */
  private paceEmptyAt?: number;
  private applied = '';
  private failing = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private stopTimer?: NodeJS.Timeout;
  private syncing?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scheduler: SendScheduler,
    private readonly budget: BudgetRepository,
    private readonly metrics: Metrics,
  ) {
    this.limits = config.rateLimits;
  }

  /** Before anything is sent (updates and jobs start after every module's init): the first heartbeat. */
  async onModuleInit(): Promise<void> {
    this.apply();
    this.scheduler.onPenalty((chatId, seconds) => {
      void this.budget.hold(chatId, seconds).catch((error: Error) => this.logger.debug(`could not share the hold of chat ${chatId} (${error.message})`));
    });
    this.syncing = this.sync();
    await this.syncing;
    this.schedule();
  }

  /** After the jobs stopped: this instance leaves, so the others take its part as soon as its sends have left the windows. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.stopTimer);
    // Bounded: a database that is away must not hold up the exit (the row then ages out as a crashed instance's would).
    const leaving = (async () => {
      await this.syncing;
      await this.budget.leave(this.instanceId, this.usedNow());
    })().catch((error: Error) => this.logger.debug(`could not leave the budget (${error.message})`));
    await Promise.race([leaving, sleep(LEAVE_WITHIN_MS)]);
    await this.budget.close();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.syncing = this.sync().finally(() => this.schedule());
    }, SYNC_EVERY_MS);
    this.timer.unref?.();
  }

  private usedNow(): Claims {
    const usage = this.scheduler.usage();
    return { global: usage.global, groups: Object.fromEntries([...usage.groups].map(([id, count]) => [String(id), count])) };
  }

  private async sync(): Promise<void> {
    const started = performance.now();
    const used = this.usedNow();
    let view;
    try {
      view = await this.budget.heartbeat(this.instanceId, this.caps, used, this.peers);
    } catch (error) {
      if (!this.failing) this.logger.warn(`cannot write the budget heartbeat (${(error as Error).message}); trying again, and nothing is sent to Telegram 2 s after the last one written`);
      this.failing = true;
      return;
    }
    if (this.failing) this.logger.log('the budget heartbeat is written again');
    this.failing = false;
    this.armStop(started);
    for (const hold of view.holds) this.scheduler.hold(hold.chatId, hold.ms);

    // Every support group has its share from the start, not only once this instance has sent there.
    const groups = new Set([...this.config.supportChatIds.map(String), ...Object.keys(used.groups)]);
    const seen = plan(this.instanceId, view.members, groups, this.limits);
    this.peers = view.members.filter(isLive).map((member) => member.id);
    this.paceDivisor = seen.paceDivisor;
    this.lower(seen.fair);
    if (seen.instances !== this.instances) this.announce(seen.instances);

    if (this.joining) {
      if (!seen.acknowledged) return;
      this.joining = false;
      if (seen.crowded) this.paceEmptyAt = performance.now();
    }
    if (!canRaise(this.caps, seen.room)) return;
    try {
      const caps = await this.budget.raise(this.instanceId, (others: Member[]) => {
        const now = plan(this.instanceId, others, groups, this.limits);
        // Lowered here before it is written, should an instance have come meanwhile.
        this.lower(now.fair);
        return raised(this.caps, now.room);
      });
      // Stopped meanwhile (the database was slow): the row says more than this instance holds, which is safe.
      if (this.joining || this.stopped) return;
      this.caps = caps;
      this.apply();
    } catch (error) {
      this.logger.debug(`could not raise this instance's part of the budget (${(error as Error).message}); trying again`);
    }
  }

  private lower(fair: Claims): void {
    this.fair = fair;
    this.caps = lowered(this.caps, fair);
    this.apply();
  }

  /** Sends stop when no heartbeat succeeded for STOP_AFTER_MS from the start of the last one that did. */
  private armStop(started: number): void {
    this.scheduler.extendShare(started + STOP_AFTER_MS);
    clearTimeout(this.stopTimer);
    this.stopTimer = setTimeout(() => this.stopSending(), Math.max(0, STOP_AFTER_MS - (performance.now() - started)));
    this.stopTimer.unref?.();
  }

  private stopSending(): void {
    if (this.stopped) return;
    if (!this.joining) this.logger.warn('no budget heartbeat for 2 s: this instance sends nothing to Telegram until it writes one again');
    this.caps = NO_CLAIMS;
    this.joining = true;
    this.apply();
  }

  private announce(instances: number): void {
    if (instances > 1 || this.instances > 1) this.logger.log(`${instances} instance(s) share the Telegram budget: this one spends 1/${instances} of each limit`);
    this.instances = instances;
  }

  private apply(): void {
    const groups = new Map<number, ShareOfLimit>();
    for (const [id, fair] of Object.entries(this.fair.groups)) groups.set(Number(id), { cap: this.caps.groups[id] ?? 0, fair });
    const share = { global: { cap: this.caps.global, fair: this.fair.global }, groups, paceDivisor: this.paceDivisor, paceEmptyAt: this.paceEmptyAt };
    const key = JSON.stringify([share.global, [...groups], share.paceDivisor, share.paceEmptyAt]);
    if (key === this.applied) return;
    this.applied = key;
    this.scheduler.setShare(share);
    // Every group is split alike: the first one's share stands for all.
    const support = this.caps.groups[String(this.config.supportChatId)] ?? 0;
    this.metrics.telegramBudget(Math.max(1, this.instances), this.caps.global / this.limits.globalPerSecond, support / this.limits.perGroupPerMinute);
  }
}
