import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TelegramGateway } from '../telegram/telegram.gateway';

/** How long a "not an administrator" answer is trusted before the next message asks again. */
const OUTSIDER_RECHECK_MS = 60_000;

const isAdmin = (status: string) => status === 'administrator' || status === 'creator';

/**
 * Who counts as an agent: the users in AGENT_IDS when it is set, else the support group's
 * administrators. The list comes from getChatAdministrators at start and every AGENTS_REFRESH, and
 * follows `chat_member` updates in between, so a promotion or a demotion counts at once.
 */
@Injectable()
export class AgentDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Agents');
  private admins: Set<number> | null = null;
  private loading: Promise<void> | null = null;
  private timer?: NodeJS.Timeout;
  /** Users found not to be administrators, and when. */
  private readonly outsiders = new Map<number, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.agentIds) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.agentsRefreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async isAgent(userId: number): Promise<boolean> {
    if (this.config.agentIds) return this.config.agentIds.includes(userId);
    // Not known yet (the first fetch failed or is under way): ask now rather than turn an agent away.
    if (!this.admins) await this.refresh();
    if (this.admins?.has(userId)) return true;
    // Someone not on the list: promoted since the last fetch, with the chat_member update lost or not
    // yet here? One getChatMember settles it; the answer "no" is trusted for a while.
    const checked = this.outsiders.get(userId);
    if (checked !== undefined && Date.now() - checked < OUTSIDER_RECHECK_MS) return false;
    const member = await this.gateway.call('getChatMember', { chat_id: this.config.supportChatId, user_id: userId }, { lane: 'group' }).catch(() => null);
    if (member && isAdmin(member.status)) {
      this.admins?.add(userId);
      return true;
    }
    this.outsiders.set(userId, Date.now());
    return false;
  }

  /** A chat_member update of the support group: an administrator (or the creator) is an agent, anyone else is not. */
  memberChanged(userId: number, status: string): void {
    this.outsiders.delete(userId);
    if (!this.admins) return;
    if (isAdmin(status)) this.admins.add(userId);
    else this.admins.delete(userId);
  }

  refresh(): Promise<void> {
    this.loading ??= this.gateway
      .call('getChatAdministrators', { chat_id: this.config.supportChatId }, { lane: 'group' })
      .then((members) => {
        this.admins = new Set(members.filter((m) => !m.user.is_bot).map((m) => m.user.id));
        this.outsiders.clear();
        this.logger.debug(`${this.admins.size} administrator(s) of the support group act as agents`);
      })
      .catch((error: Error) => this.logger.warn(`the support group's administrators could not be fetched: ${error.message}`))
      .finally(() => (this.loading = null));
    return this.loading;
  }
}
