import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { SyncSweeper } from './sync-sweeper.service';

/** While access is lost, how often the bot asks Telegram whether it has come back. */
const PROBE_EVERY_MS = 30_000;

export interface GroupAccessState {
  ok: boolean;
  /** Telegram's words when access was lost. */
  reason?: string;
  since?: string;
}

/**
 * Whether the bot can work in the support group. Telegram saying "kicked", "not a member", "not enough
 * rights" or "chat not found" about the group (any call, or the group's own my_chat_member update)
 * pauses group work: the jobs that met it wait (JobQueue deferral) instead of spending their retries,
 * and no customer is told anything. One clear line tells the operator what to do. Access comes back
 * with a my_chat_member update making the bot an administrator, or a periodic probe; then everything
 * pending is enqueued again at once, in order.
 */
@Injectable()
export class GroupAccess implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('GroupAccess');
  private lostAt?: Date;
  private reason?: string;
  private probe?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly sweeper: SyncSweeper,
  ) {}

  onModuleInit(): void {
    this.gateway.onNoAccess((chatId, error) => {
      if (chatId === this.config.supportChatId) this.lost(error.description);
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.probe);
  }

  get state(): GroupAccessState {
    return this.lostAt ? { ok: false, reason: this.reason, since: this.lostAt.toISOString() } : { ok: true };
  }

  lost(reason: string): void {
    if (this.lostAt) return;
    this.lostAt = new Date();
    this.reason = reason;
    this.logger.error(
      `the bot has no access to the support group ${this.config.supportChatId} (${reason}). Add it back as an administrator ` +
        `with "Manage topics"; until then group work waits, nothing is lost, and it resumes by itself`,
    );
    this.probe = setInterval(() => void this.check(), PROBE_EVERY_MS);
    this.probe.unref();
  }

  async restored(how: string): Promise<void> {
    if (!this.lostAt) return;
    const seconds = Math.round((Date.now() - this.lostAt.getTime()) / 1000);
    this.lostAt = undefined;
    this.reason = undefined;
    clearInterval(this.probe);
    this.logger.log(`access to the support group is back (${how}) after ${seconds} s; sending what waited`);
    await this.sweeper.sweepNow().catch((error: Error) => this.logger.warn(`could not enqueue the waiting work: ${error.message}`));
  }

  /** The bot's own membership, asked of Telegram: an administrator that may manage topics is back. */
  private async check(): Promise<void> {
    const botId = Number(this.config.botToken.split(':')[0]);
    try {
      const member = (await this.gateway.call('getChatMember', { chat_id: this.config.supportChatId, user_id: botId }, { retries: 0 })) as {
        status: string;
        can_manage_topics?: boolean;
      };
      if (member.status === 'creator' || (member.status === 'administrator' && member.can_manage_topics !== false)) await this.restored('probe');
    } catch (error) {
      if (!(error instanceof TelegramCallError)) this.logger.debug(`group access probe failed: ${(error as Error).message}`);
    }
  }
}
