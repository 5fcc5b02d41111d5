import type { Language } from '../config/app-config';
import { escapeHtml, oneLine, truncate } from '../telegram/html';
import type { I18n } from '../telegram/i18n/i18n.service';
import type { Customer } from '../tickets/customer.entity';
import type { Ticket } from '../tickets/ticket.entity';

/** Telegram's limit for a topic name. */
export const TOPIC_NAME_MAX = 128;

/** "#42 · Payments › Refund · The refund never arrived…": readable in the topic list, within 128 characters. */
export function provisionalTitle(ticket: Ticket, categoryLabel: string, firstText: string | null): string {
  const head = `#${ticket.id} · ${categoryLabel}`;
  const text = firstText ? oneLine(firstText) : '';
  if (!text) return truncate(head, TOPIC_NAME_MAX);
  const room = TOPIC_NAME_MAX - Array.from(head).length - 3;
  return room >= 12 ? `${head} · ${truncate(text, room)}` : truncate(head, TOPIC_NAME_MAX);
}

/** The first message of a topic: who the customer is and what the ticket is about (Telegram HTML). */
export function ticketCard(i18n: I18n, language: Language, ticket: Ticket, customer: Customer, categoryLabel: string): string {
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ');
  const username = customer.username ? `@${escapeHtml(customer.username)}` : `<i>${i18n.t(language, 'card.noUsername')}</i>`;
  return [
    `<b>${i18n.t(language, 'card.title', { ticket: ticket.id })}</b>`,
    `${i18n.t(language, 'card.customer')}: <a href="tg://user?id=${customer.id}">${escapeHtml(name)}</a> · ${username} · id <code>${customer.id}</code>`,
    `${i18n.t(language, 'card.language')}: ${i18n.t(ticket.language, 'language.name')}`,
    `${i18n.t(language, 'card.category')}: ${escapeHtml(categoryLabel)}`,
  ].join('\n');
}
