import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig, TOPIC_STATUSES, TopicStatus } from '../config/app-config';
import { persist } from '../database/persist';
import { TelegramCallError } from '../telegram/telegram-error';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { TopicRepository } from '../tickets/repositories/topic.repository';
import type { Ticket } from '../tickets/ticket.entity';

/** Emoji compared without variation selectors: "❗️" and "❗" are one icon. */
const bare = (emoji: string) => emoji.replace(/[\uFE0E\uFE0F]/g, '');

/** A status of a ticket as its topic should show it. */
export function topicStatusOf(ticket: Pick<Ticket, 'status' | 'lastSpeaker'>): TopicStatus {
  if (ticket.status === 'closed') return 'closed';
  return ticket.lastSpeaker === 'agent' ? 'answered' : 'waiting';
}

/**
 * The topic icon shows who needs to act: waiting for the team (the customer spoke last), answered,
 * closed (TOPIC_ICONS). An icon change is one group message, so it is made only when the status
 * changed, after the copies that changed it (a burst of five customer messages is one change), and in
 * the same call as a close's or reopen's rename.
 *
 * Jobs ask for it with `follow` and go on: the change waits in the send scheduler's `status` lane,
 * behind every copy, card and note waiting for the same group, so an icon never delays a customer's
 * message; and no job, worker or ticket lease waits for it meanwhile. Asked again while it waits, a
 * ticket is still one change (the status is read when its turn comes). Such requests live in memory:
 * one lost with a stopped instance is found by the sync sweeper (a topic whose icon is not its
 * status) and asked for again.
 */
@Injectable()
export class TopicStatusService implements OnModuleDestroy {
  private readonly logger = new Logger('TopicStatus');
  private ids?: Promise<Partial<Record<TopicStatus, string>>>;
  private readonly wanted = new Set<number>();
  private draining?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly tickets: TicketRepository,
    private readonly topics: TopicRepository,
  ) {}

  /** The custom emoji id of a status's icon; undefined when icons are off or Telegram has no such icon. */
  async iconFor(status: TopicStatus): Promise<string | undefined> {
    if (!this.config.topicIcons) return undefined;
    this.ids ??= this.load().catch((error: Error) => {
      // Telegram unreachable: no icon this time, asked again next time.
      this.ids = undefined;
      this.logger.debug(`topic icons not loaded: ${error.message}`);
      return {};
    });
    return (await this.ids)[status];
  }

  /** The ticket's icon is to follow its status, soon, without delaying anything else (see the class). */
  follow(ticketId: number): void {
    if (!this.config.topicIcons || this.stopped) return;
    this.wanted.add(ticketId);
    this.drain();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.wanted.clear();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while (this.wanted.size && !this.stopped) {
        const batch = [...this.wanted];
        this.wanted.clear();
        // Side by side: the scheduler orders them among the groups' other sends.
        await Promise.all(
          batch.map((ticketId) =>
            this.sync(ticketId).catch((error: Error) => this.logger.warn(`ticket #${ticketId}: topic icon not updated (${error.message}); the sweeper tries again`)),
          ),
        );
      }
    })().finally(() => {
      this.draining = undefined;
      if (this.wanted.size && !this.stopped) this.drain();
    });
  }

  /** Brings the ticket's topic icon up to date with its status now, if it is not already. */
  async sync(ticketId: number): Promise<void> {
    const ticket = await this.tickets.find(ticketId);
    if (!ticket?.threadId) return;
    const status = topicStatusOf(ticket);
    if (ticket.topicIcon === status) return;
    const icon = await this.iconFor(status);
    if (!icon) return;
    await this.gateway
      .call('editForumTopic', { chat_id: ticket.groupId, message_thread_id: ticket.threadId, icon_custom_emoji_id: icon }, { lane: 'status', key: ticket.id })
      .catch((error: unknown) => {
        if (!(error instanceof TelegramCallError) || error.kind !== 'not-modified') throw error;
      });
    await persist(() => this.topics.recordIcon(ticket.id, status), `ticket #${ticket.id}: topic icon`, this.logger);
  }

  private async load(): Promise<Partial<Record<TopicStatus, string>>> {
    const stickers = await this.gateway.call('getForumTopicIconStickers', {}, { retries: 1 });
    const wanted = this.config.topicIcons!;
    const ids: Partial<Record<TopicStatus, string>> = {};
    for (const status of TOPIC_STATUSES) {
      const sticker = stickers.find((s) => s.emoji && bare(s.emoji) === bare(wanted[status]));
      if (sticker?.custom_emoji_id) ids[status] = sticker.custom_emoji_id;
      else this.logger.warn(`TOPIC_ICONS: ${wanted[status]} (${status}) is not one of Telegram's topic icons; that status shows no icon`);
    }
    return ids;
  }
}
