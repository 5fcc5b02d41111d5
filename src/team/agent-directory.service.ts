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
  /** Per support group: its administrators (an administrator of one group is not an agent in another). */
  private readonly admins = new Map<number, Set<number>>();
  private readonly loading = new Map<number, Promise<void>>();
  private timer?: NodeJS.Timeout;
  /** Users found not to be administrators of a group, and when (key `group:user`). */
  private readonly outsiders = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.agentIds) return;
    const refreshAll = () => {
      for (const groupId of this.config.supportChatIds) void this.refresh(groupId);
    };
    refreshAll();
    this.timer = setInterval(refreshAll, this.config.agentsRefreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async isAgent(groupId: number, userId: number): Promise<boolean> {
    if (this.config.agentIds) return this.config.agentIds.includes(userId);
    // Not known yet (the first fetch failed or is under way): ask now rather than turn an agent away.
    if (!this.admins.has(groupId)) await this.refresh(groupId);
    if (this.admins.get(groupId)?.has(userId)) return true;
    // Someone not on the list: promoted since the last fetch, with the chat_member update lost or not
    // yet here? One getChatMember settles it; the answer "no" is trusted for a while.
    const key = `${groupId}:${userId}`;
    const checked = this.outsiders.get(key);
    if (checked !== undefined && Date.now() - checked < OUTSIDER_RECHECK_MS) return false;
    const member = await this.gateway.call('getChatMember', { chat_id: groupId, user_id: userId }, { lane: 'group' }).catch(() => null);
    if (member && isAdmin(member.status)) {
      this.admins.get(groupId)?.add(userId);
      return true;
    }
    this.outsiders.set(key, Date.now());
    return false;
  }

  /** A chat_member update of a support group: an administrator (or the creator) is an agent there, anyone else is not. */
  memberChanged(groupId: number, userId: number, status: string): void {
    this.outsiders.delete(`${groupId}:${userId}`);
    const admins = this.admins.get(groupId);
    if (!admins) return;
    if (isAdmin(status)) admins.add(userId);
    else admins.delete(userId);
  }

  refresh(groupId: number): Promise<void> {
    let loading = this.loading.get(groupId);
    if (!loading) {
      loading = this.gateway
        .call('getChatAdministrators', { chat_id: groupId }, { lane: 'group' })
        .then((members) => {
          const admins = new Set(members.filter((m) => !m.user.is_bot).map((m) => m.user.id));
          this.admins.set(groupId, admins);
          for (const key of [...this.outsiders.keys()]) if (key.startsWith(`${groupId}:`)) this.outsiders.delete(key);
          this.logger.debug(`${admins.size} administrator(s) of the support group ${groupId} act as agents`);
        })
        .catch((error: Error) => this.logger.warn(`the administrators of the support group ${groupId} could not be fetched: ${error.message}`))
        .finally(() => this.loading.delete(groupId));
      this.loading.set(groupId, loading);
    }
    return loading;
  }
}
