import { Inject, Injectable } from '@nestjs/common';
import type { Message } from 'telegraf/types';
import { APP_CONFIG, AppConfig, Language } from '../config/app-config';
import { escapeHtml } from '../telegram/html';
import { I18n, translate } from '../telegram/i18n/i18n.service';
import { TelegramGateway } from '../telegram/telegram.gateway';
import { CategoryCatalog } from '../tickets/category-catalog.service';
import { CustomerRepository } from '../tickets/repositories/customer.repository';
import { DeskStats, StatsRepository } from '../tickets/repositories/stats.repository';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TicketRepository, WaitingTicket } from '../tickets/repositories/ticket.repository';
import { transcriptText } from './transcript';

/** Tickets per page of /open: one message stays short enough to read at a glance. */
export const OPEN_PAGE_SIZE = 20;

/** A link that opens a topic of a supergroup (`-100…` ids), for members of the group. */
export function topicLink(chatId: number, threadId: number): string {
  const internal = String(-chatId).replace(/^100/, '');
  return `https://t.me/c/${internal}/${threadId}`;
}

/** "3 d 4 h", "2 h 5 min", "12 min", in the support language. */
export function formatWaited(ms: number, language: Language): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  if (d) return translate(language, 'duration.days', { d, h });
  if (h) return translate(language, 'duration.hours', { h, m });
  return translate(language, 'duration.minutes', { m });
}

/** The text of one page of /open (Telegram HTML). */
export function openListText(
  i18n: I18n,
  language: Language,
  page: { total: number; tickets: WaitingTicket[] },
  pageNo: number,
  now: Date,
  labelOf: (ticket: WaitingTicket) => string,
  chatId: number,
): string {
  if (page.total === 0) return i18n.t(language, 'open.none');
  const lines = page.tickets.map((ticket, i) => {
    const name = escapeHtml(`#${ticket.id} · ${labelOf(ticket)}`);
    const linked = ticket.threadId ? `<a href="${topicLink(chatId, ticket.threadId)}">${name}</a>` : name;
    return `${(pageNo - 1) * OPEN_PAGE_SIZE + i + 1}. ${linked} — ${formatWaited(now.getTime() - ticket.waitingSince.getTime(), language)}`;
  });
  const pages = Math.ceil(page.total / OPEN_PAGE_SIZE);
  const footer = pageNo < pages ? [i18n.t(language, 'open.page', { page: pageNo, pages, next: pageNo + 1 })] : [];
  return [i18n.t(language, 'open.title', { count: page.total }), '', ...lines, ...(footer.length ? ['', ...footer] : [])].join('\n');
}

/** The text of /stats (Telegram HTML). */
export function statsText(i18n: I18n, language: Language, stats: DeskStats, days: number, labelOf: (category: string, subcategory: string | null) => string): string {
  const t = (key: Parameters<I18n['t']>[1], vars: Record<string, string | number> = {}) => i18n.t(language, key, vars);
  const none = t('stats.none');
  const duration = (s: number | null) => (s === null ? none : formatWaited(s * 1000, language));
  const period = t(days === 1 ? 'stats.period.one' : 'stats.period.other', { days });
  const busiest = stats.busiest.map((b) => `${labelOf(b.category, b.subcategory)} (${b.tickets})`).join(', ') || none;
  return [
    t('stats.title', { period }),
    t('stats.now', { open: stats.open, waiting: stats.waiting }),
    t('stats.flow', { opened: stats.opened, closed: stats.closed }),
    t('stats.firstAnswer', { median: duration(stats.firstAnswerMedianS), p90: duration(stats.firstAnswerP90S) }),
    t('stats.close', { median: duration(stats.closeMedianS) }),
    t('stats.rating', { average: stats.ratingAverage === null ? none : stats.ratingAverage.toFixed(1), rated: stats.rated }),
    t('stats.busiest', { list: busiest }),
  ].join('\n');
}

/** The team's desk-wide commands, answered wherever they are asked in the support group (the General topic too). */
@Injectable()
export class DeskCommands {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tickets: TicketRepository,
    private readonly catalog: CategoryCatalog,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly statsRepository: StatsRepository,
    private readonly messages: TicketMessageRepository,
    private readonly customers: CustomerRepository,
  ) {}

  /** `/open [page]`: the tickets waiting for the team, oldest first, with how long and a link to each. */
  async open(groupId: number, to: Message, threadId: number | undefined, pageNo: number): Promise<void> {
    const page = Math.max(1, pageNo);
    // With several groups each lists its own tickets (the links lead into it).
    const waiting = await this.tickets.waiting(OPEN_PAGE_SIZE, (page - 1) * OPEN_PAGE_SIZE, this.config.supportChatIds.length > 1 ? groupId : undefined);
    const language = this.config.supportLanguage;
    const text = openListText(this.i18n, language, waiting, page, new Date(), (t) => this.catalog.label(language, t.category, t.subcategory), groupId);
    await this.reply(groupId, to, threadId, text);
  }

  /** `/stats [7d|30d]`: the desk's numbers over the period (7 days unless asked otherwise). */
  async stats(groupId: number, to: Message, threadId: number | undefined, arg: string | undefined): Promise<void> {
    const language = this.config.supportLanguage;
    const days = arg ? Number(/^(\d{1,3})d$/i.exec(arg)?.[1]) : 7;
    if (!Number.isInteger(days) || days < 1 || days > 365) return this.reply(groupId, to, threadId, this.i18n.t(language, 'stats.usage'));
    const stats = await this.statsRepository.since(days * 86_400);
    let text = statsText(this.i18n, language, stats, days, (c, s) => this.catalog.label(language, c, s));
    // With several groups: the whole desk, then this group's own share.
    if (this.config.supportChatIds.length > 1) {
      const share = await this.statsRepository.groupShare(groupId, days * 86_400);
      text += '\n' + this.i18n.t(language, 'stats.group', { group: escapeHtml(this.catalog.groupLabel(groupId) ?? String(groupId)), ...share });
    }
    await this.reply(groupId, to, threadId, text);
  }

  /** `/transcript` in a ticket's topic: the whole conversation as a text file in the topic. */
  async transcript(groupId: number, to: Message, threadId: number): Promise<void> {
    const language = this.config.supportLanguage;
    const ticket = await this.tickets.ofThread(groupId, threadId);
    if (!ticket) return this.reply(groupId, to, threadId, this.i18n.t(language, 'topic.notTicket'));
    const [messages, customer] = await Promise.all([this.messages.allOf(ticket.id), this.customers.find(ticket.customerId)]);
    const category = this.catalog.label(language, ticket.category, ticket.subcategory);
    const text = transcriptText(this.i18n, language, { ticket, customer, category }, messages);
    await this.gateway.call(
      'sendDocument',
      {
        chat_id: groupId,
        message_thread_id: threadId,
        document: { source: Buffer.from(text, 'utf8'), filename: `ticket-${ticket.id}.txt` },
        caption: this.i18n.t(language, 'transcript.caption', { ticket: ticket.id, messages: messages.length }),
        parse_mode: 'HTML',
        reply_parameters: { message_id: to.message_id, allow_sending_without_reply: true },
      },
      { lane: 'group', key: ticket.id },
    );
  }

  private async reply(groupId: number, to: Message, threadId: number | undefined, text: string): Promise<void> {
    await this.gateway.sendMessage(
      groupId,
      text,
      {
        ...(threadId ? { message_thread_id: threadId } : {}),
        reply_parameters: { message_id: to.message_id, allow_sending_without_reply: true },
        link_preview_options: { is_disabled: true },
      },
      { lane: 'group' },
    );
  }
}
