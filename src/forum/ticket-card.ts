import type { Language } from '../config/app-config';
import { FormattedText, FormattedTextBuilder, plainFromHtml } from '../telegram/formatted-text';
import { oneLine, truncate } from '../telegram/html';
import { stars } from '../tickets/rating';
import type { I18n } from '../telegram/i18n/i18n.service';
import type { MessageKey } from '../telegram/i18n/messages';
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

/**
 * The head of a topic: who the customer is and what the ticket is about, as a text with entities so the
 * customer's first message can follow it in the same message with its own formatting intact.
 */
export function ticketCard(
  i18n: I18n,
  language: Language,
  ticket: Ticket,
  customer: Customer,
  categoryLabel: string,
  history: { tickets: number; lastRating: number | null } = { tickets: 0, lastRating: null },
  groupLabel?: string,
): FormattedText {
  const t = (key: MessageKey, params?: Record<string, string | number>) => plainFromHtml(i18n.t(language, key, params));
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ') || String(customer.id);
  const card = new FormattedTextBuilder()
    .add(t('card.title', { ticket: ticket.id }), { type: 'bold' })
    .add(`\n${t('card.customer')}: `)
    .add(name, { type: 'text_link', url: `tg://user?id=${customer.id}` })
    .add(' · ');
  if (customer.username) card.add(`@${customer.username}`);
  else card.add(t('card.noUsername'), { type: 'italic' });
  card
    .add(' · id ')
    .add(String(customer.id), { type: 'code' })
    .add(`\n${t('card.language')}: ${plainFromHtml(i18n.t(ticket.language, 'language.name'))}`)
    .add(`\n${t('card.category')}: ${categoryLabel}`);
  // With several support groups the catalog may name each: the card says which desk the ticket is on.
  if (groupLabel) card.add(`\n${t('card.group')}: ${groupLabel}`);
  // The owner (/take): the card is edited when it changes, so the topic's head always says who has it.
  if (ticket.assigneeId && ticket.assigneeName) {
    card.add(`\n${t('card.assignee')}: `).add(ticket.assigneeName, { type: 'text_link', url: `tg://user?id=${ticket.assigneeId}` });
  }
  // A returning customer: how many tickets before, and how they rated the last one they rated.
  if (history.tickets > 0) {
    card.add(`\n${t('card.history')}: ${history.tickets}`);
    const rating = history.lastRating;
    if (rating) card.add(` · ${t('card.lastRating')}: ${stars(rating)}`);
  }
  return card.build();
}
