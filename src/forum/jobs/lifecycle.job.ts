import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig, Language } from '../../config/app-config';
import { JobDeferred, JobMap, JobQueue } from '../../jobs/job-queue';
import { persist } from '../../database/persist';
import { truncate } from '../../telegram/html';
import { I18n, translate } from '../../telegram/i18n/i18n.service';
import { TelegramCallError } from '../../telegram/telegram-error';
import { TelegramGateway } from '../../telegram/telegram.gateway';
import { TicketNoticeRepository } from '../../tickets/repositories/ticket-notice.repository';
import { TicketRepository } from '../../tickets/repositories/ticket.repository';
import type { Ticket } from '../../tickets/ticket.entity';
import { stars } from '../../tickets/rating';
import type { MessageKey } from '../../telegram/i18n/messages';
import { TOPIC_NAME_MAX } from '../ticket-card';
import { TopicNotes } from '../topic-notes.service';
import { TopicStatusService, topicStatusOf } from '../topic-status.service';
import { TopicRepository } from '../../tickets/repositories/topic.repository';

/** Closed topics show it in the topic list. */
const CLOSED_MARK = '✅ ';

/**
 * `ticket.lifecycle`: what closing and reopening look like. The customer is told (when an agent did
 * it), the topic gets a note, its title is marked, and it is closed or reopened. Each step tolerates
 * having been done already, so a retried job does no harm.
 */
@Injectable()
export class LifecycleJob implements OnModuleInit {
  private readonly logger = new Logger('Lifecycle');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tickets: TicketRepository,
    private readonly notices: TicketNoticeRepository,
    private readonly jobs: JobQueue,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly notes: TopicNotes,
    private readonly status: TopicStatusService,
    private readonly topics: TopicRepository,
  ) {}

  onModuleInit(): void {
    this.jobs.handle('ticket.lifecycle', (data) => this.run(data));
  }

  private async run({ ticketId, event, by, agentName }: JobMap['ticket.lifecycle']): Promise<void> {
    const ticket = await this.tickets.find(ticketId);
    if (!ticket) throw new Error(`ticket #${ticketId} does not exist`);
    if (event === 'kept-open') return this.keptOpen(ticket);
    if (event === 'rated') return this.rated(ticket);
    if (event === 'commented') return this.commented(ticket);
    // The state may have changed again since (closed, then reopened at once): act on the latest only.
    if ((event === 'closed') !== (ticket.status === 'closed')) return;
    const agent = agentName ?? '';
    // This close or reopen, told apart from earlier ones of the same ticket: its notices go out once.
    const occurrence = `${event}:${(event === 'closed' ? ticket.closedAt : ticket.reopenedAt)?.toISOString() ?? ''}`;
    if ((by === 'agent' || by === 'auto') && !(await this.notices.wasSent(ticket.id, `customer:${occurrence}`))) {
      const key = by === 'auto' ? 'close.auto' : event === 'closed' ? 'close.byAgent' : 'reopen.byAgent';
      const window = formatWindow(this.config.reopenWindowMs, ticket.language);
      await this.gateway
        .sendMessage(ticket.customerId, this.i18n.t(ticket.language, key, { ticket: ticket.id, window }), {}, { lane: 'customer' })
        .catch((error: TelegramCallError) => {
          if (error.kind !== 'blocked') throw error;
        });
      await persist(() => this.notices.recordSent(ticket.id, `customer:${occurrence}`), `ticket #${ticket.id}: ${event} notice`, this.logger);
    }
    if (event === 'closed') await this.askRating(ticket);
    if (event === 'closed' && ticket.ackMessageId) {
      // The "Close request" button under the acknowledgement has nothing left to do.
      await this.gateway
        .call(
          'editMessageReplyMarkup',
          { chat_id: ticket.customerId, message_id: ticket.ackMessageId, reply_markup: { inline_keyboard: [] } },
          { lane: 'customer', retries: 0 },
        )
        .catch(() => undefined);
    }
    if (!ticket.threadId) {
      // The topic does not exist yet; the sync job creates it, and this job comes back (no retry spent).
      throw new JobDeferred(5, `ticket #${ticket.id} has no topic yet`);
    }
    const note: MessageKey =
      event === 'closed'
        ? { customer: 'topic.closedByCustomer' as const, agent: 'topic.closedByAgent' as const, auto: 'topic.closedAuto' as const }[by]
        : by === 'customer'
          ? 'topic.reopenedByCustomer'
          : 'topic.reopenedByAgent';
    const thread = { chat_id: ticket.groupId, message_thread_id: ticket.threadId };
    const tolerate = (error: TelegramCallError) => {
      if (error.kind !== 'not-modified') throw error;
    };
    if (event === 'reopened') await this.gateway.call('reopenForumTopic', thread, { lane: 'group', key: ticket.id }).catch(tolerate);
    if (!(await this.notices.wasSent(ticket.id, `topic:${occurrence}`))) {
      await this.notes.post(ticket.groupId, ticket.threadId, note, { agent });
      await persist(() => this.notices.recordSent(ticket.id, `topic:${occurrence}`), `ticket #${ticket.id}: ${event} note`, this.logger);
    }
    const title = ticket.title ?? `#${ticket.id}`;
    const name = event === 'closed' ? truncate(CLOSED_MARK + title, TOPIC_NAME_MAX) : title;
    // The status icon changes in the same call as the name.
    const status = topicStatusOf(ticket);
    const icon = ticket.topicIcon !== status ? await this.status.iconFor(status) : undefined;
    await this.gateway.call('editForumTopic', { ...thread, name, ...(icon ? { icon_custom_emoji_id: icon } : {}) }, { lane: 'group', key: ticket.id }).catch(tolerate);
    if (icon) await persist(() => this.topics.recordIcon(ticket.id, status), `ticket #${ticket.id}: topic icon`, this.logger);
    if (event === 'closed') await this.gateway.call('closeForumTopic', thread, { lane: 'group', key: ticket.id }).catch(tolerate);
    this.logger.log(`ticket #${ticket.id}: topic ${ticket.threadId} ${event}`);
  }

  /** After a close, the customer is asked once for a rating of the ticket (1–5). */
  private async askRating(ticket: Ticket): Promise<void> {
    if (ticket.rating !== null || (await this.notices.wasSent(ticket.id, 'customer:rating-asked'))) return;
    const buttons = [1, 2, 3, 4, 5].map((n) => ({ text: `${n} ⭐`, callback_data: `rate:${ticket.id}:${n}` }));
    await this.gateway
      .sendMessage(ticket.customerId, this.i18n.t(ticket.language, 'rating.ask', { ticket: ticket.id }), { reply_markup: { inline_keyboard: [buttons] } }, { lane: 'customer' })
      .catch((error: TelegramCallError) => {
        if (error.kind !== 'blocked') throw error;
      });
    await persist(() => this.notices.recordSent(ticket.id, 'customer:rating-asked'), `ticket #${ticket.id}: rating asked`, this.logger);
  }

  /** The customer rated the ticket: the team sees it in the topic, once. */
  private async rated(ticket: Ticket): Promise<void> {
    if (!ticket.rating || !ticket.threadId || (await this.notices.wasSent(ticket.id, 'topic:rated'))) return;
    await this.notes.post(ticket.groupId, ticket.threadId, 'topic.rated', { rating: ticket.rating, stars: stars(ticket.rating) });
    await persist(() => this.notices.recordSent(ticket.id, 'topic:rated'), `ticket #${ticket.id}: rating note`, this.logger);
  }

  /** The customer's comment on their low rating: the team reads it in the topic, once. */
  private async commented(ticket: Ticket): Promise<void> {
    if (!ticket.ratingComment || !ticket.threadId || (await this.notices.wasSent(ticket.id, 'topic:rating-comment'))) return;
    await this.notes.post(ticket.groupId, ticket.threadId, 'topic.ratingComment', { comment: ticket.ratingComment });
    await persist(() => this.notices.recordSent(ticket.id, 'topic:rating-comment'), `ticket #${ticket.id}: rating comment`, this.logger);
  }

  /** The customer answered the auto-close warning: the team sees it, once per warning. */
  private async keptOpen(ticket: Ticket): Promise<void> {
    if (ticket.status !== 'open') return;
    if (!ticket.threadId) throw new JobDeferred(5, `ticket #${ticket.id} has no topic yet`);
    const occurrence = `topic:${keptOpenOccurrence(ticket)}`;
    if (!(await this.notices.wasSent(ticket.id, occurrence))) {
      await this.notes.post(ticket.groupId, ticket.threadId, 'topic.keptOpen');
      await persist(() => this.notices.recordSent(ticket.id, occurrence), `ticket #${ticket.id}: kept-open note`, this.logger);
    }
    // The customer spoke last (the button counts as speaking): the icon turns to "waiting".
    this.status.follow(ticket.id);
  }
}

/** Tells one "still needs help" apart from the next (each follows its own warning). */
export function keptOpenOccurrence(ticket: Ticket): string {
  return `kept-open:${new Date(ticket.lastActivityAt).toISOString()}`;
}

/** A span of time to the hour ("24 h"), or to the minute under an hour ("12 min"), in `language`. */
export function formatWindow(ms: number, language: Language): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours >= 1) return translate(language, 'duration.wholeHours', { h: hours });
  return translate(language, 'duration.minutes', { m: Math.max(1, Math.round(ms / 60_000)) });
}
