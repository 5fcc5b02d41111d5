import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TelegramGateway } from './telegram.gateway';

/**
 * The support groups (SUPPORT_CHAT_ID, one or more forum supergroups) and which of them can take new
 * tickets now. A group the bot cannot work in (not a forum, no admin rights, removed) is left out of
 * routing until its check passes again (GroupAccess reports both); its tickets stay where they are.
 */
@Injectable()
export class SupportGroups {
  private readonly unusable = new Map<number, string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
  ) {}

  get ids(): readonly number[] {
    return this.config.supportChatIds;
  }

  /** One of the support groups (a message from any other chat is not the team's). */
  has(chatId: number | undefined): chatId is number {
    return chatId !== undefined && this.config.supportChatIds.includes(chatId);
  }

  isUsable(chatId: number): boolean {
    return this.has(chatId) && !this.unusable.has(chatId);
  }

  setUsable(chatId: number, usable: boolean, reason = ''): void {
    if (usable) this.unusable.delete(chatId);
    else this.unusable.set(chatId, reason);
  }

  /**
   * The group for a new ticket: the category's own group when it names one (and it is usable), else the
   * usable group with the most free budget right now, ties to the fewest open tickets. With every group
   * unusable the first configured one is chosen: the ticket waits there, nothing is lost.
   */
  async pick(preferred: number | undefined, openCounts: () => Promise<Map<number, number>>): Promise<number> {
    if (preferred !== undefined && this.isUsable(preferred)) return preferred;
    const usable = this.config.supportChatIds.filter((id) => !this.unusable.has(id));
    if (usable.length === 0) return preferred ?? this.config.supportChatId;
    if (usable.length === 1) return usable[0];
    const headroom = new Map(usable.map((id) => [id, this.gateway.groupHeadroom(id)]));
    const best = Math.max(...headroom.values());
    const tied = usable.filter((id) => headroom.get(id) === best);
    if (tied.length === 1) return tied[0];
    const counts = await openCounts();
    return tied.reduce((a, b) => ((counts.get(b) ?? 0) < (counts.get(a) ?? 0) ? b : a));
  }
}
