import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SupportGroups } from '../telegram/support-groups';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { SyncSweeper } from './sync-sweeper.service';

/** While access is lost, how often the bot asks Telegram whether it has come back. */
const PROBE_EVERY_MS = 30_000;

export interface GroupAccessState {
  ok: boolean;
  /** Telegram's words when access was lost (per group, with several). */
  reason?: string;
  since?: string;
}

interface Lost {
  at: Date;
  reason: string;
  probe: NodeJS.Timeout;
}

/**
 * Whether the bot can work in each support group. At start every group is checked (a forum, the bot an
 * administrator that may manage topics); later, Telegram saying "kicked", "not a member", "not enough
 * rights" or "chat not found" about a group (any call, or the group's own my_chat_member update) marks
 * it lost: its jobs wait (JobQueue deferral) instead of spending their retries, no customer is told
 * anything, new tickets go to the other groups, and one clear line tells the operator what to do.
 * Access comes back with a my_chat_member update making the bot an administrator, or a periodic probe;
 * then everything pending is enqueued again at once, in order.
 */
@Injectable()
export class GroupAccess implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GroupAccess');
  private readonly lostGroups = new Map<number, Lost>();
  private botId?: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly sweeper: SyncSweeper,
    private readonly groups: SupportGroups,
    private readonly tickets: TicketRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    this.gateway.onNoAccess((chatId, error) => {
      if (this.groups.has(chatId)) this.lost(chatId, error.description);
    });
    // Tickets from before the desk knew several groups live in the first one (before any job reads them).
    const adopted = await this.tickets.adoptGroupless(this.config.supportChatId);
    if (adopted) this.logger.log(`${adopted} ticket(s) from before several groups now belong to the group ${this.config.supportChatId}`);
  }

  /** Checks every group once, in the background (Telegram may be slow to answer; nothing waits for it). */
  onApplicationBootstrap(): void {
    for (const groupId of this.groups.ids) void this.checkAtStart(groupId);
  }

  onApplicationShutdown(): void {
    for (const lost of this.lostGroups.values()) clearInterval(lost.probe);
  }

  /** All groups together (readiness, /health): ok when every group is. */
  get state(): GroupAccessState {
    if (!this.lostGroups.size) return { ok: true };
    const entries = [...this.lostGroups.entries()];
    const several = this.groups.ids.length > 1;
    return {
      ok: false,
      reason: entries.map(([id, lost]) => (several ? `group ${id}: ${lost.reason}` : lost.reason)).join('; '),
      since: new Date(Math.min(...entries.map(([, lost]) => lost.at.getTime()))).toISOString(),
    };
  }

  lost(groupId: number, reason: string): void {
    if (this.lostGroups.has(groupId)) return;
    const probe = setInterval(() => void this.probe(groupId), PROBE_EVERY_MS);
    probe.unref();
    this.lostGroups.set(groupId, { at: new Date(), reason, probe });
    this.groups.setUsable(groupId, false, reason);
    const others = this.groups.ids.length > 1 ? '; new tickets go to the other groups' : '';
    this.logger.error(
      `the bot has no access to the support group ${groupId} (${reason}). Add it back as an administrator ` +
        `with "Manage topics"; until then its group work waits, nothing is lost${others}, and it resumes by itself`,
    );
  }

  async restored(groupId: number, how: string): Promise<void> {
    const lost = this.lostGroups.get(groupId);
    if (!lost) return;
    this.lostGroups.delete(groupId);
    clearInterval(lost.probe);
    this.groups.setUsable(groupId, true);
    const seconds = Math.round((Date.now() - lost.at.getTime()) / 1000);
    this.logger.log(`access to the support group ${groupId} is back (${how}) after ${seconds} s; sending what waited`);
    await this.sweeper.sweepNow().catch((error: Error) => this.logger.warn(`could not enqueue the waiting work: ${error.message}`));
  }

  /** What is wrong with the group for a desk, or null: a forum supergroup where the bot may manage topics. */
  private async problemOf(groupId: number): Promise<string | null> {
    const chat = (await this.gateway.call('getChat', { chat_id: groupId }, { retries: 1 })) as { is_forum?: boolean };
    if (!chat.is_forum) return 'topics are not enabled in the group';
    this.botId ??= (await this.gateway.call('getMe', {}, { retries: 1 })).id;
    const member = (await this.gateway.call('getChatMember', { chat_id: groupId, user_id: this.botId }, { retries: 1 })) as { status: string; can_manage_topics?: boolean };
    if (member.status === 'creator' || (member.status === 'administrator' && member.can_manage_topics !== false)) return null;
    return member.status === 'administrator' ? 'the bot may not manage topics' : `the bot's status is "${member.status}"`;
  }

  private async checkAtStart(groupId: number): Promise<void> {
    try {
      const problem = await this.problemOf(groupId);
      if (problem) this.lost(groupId, problem);
    } catch (error) {
      // "chat not found" and the like arrive through onNoAccess; anything else (Telegram away) is checked by use.
      if (!(error instanceof TelegramCallError)) this.logger.debug(`group ${groupId}: start check failed: ${(error as Error).message}`);
      else if (error.kind !== 'no-access') this.logger.warn(`group ${groupId}: could not check the group at start (${error.description})`);
    }
  }

  private async probe(groupId: number): Promise<void> {
    try {
      if ((await this.problemOf(groupId)) === null) await this.restored(groupId, 'probe');
    } catch (error) {
      if (!(error instanceof TelegramCallError)) this.logger.debug(`group access probe failed: ${(error as Error).message}`);
    }
  }
}
