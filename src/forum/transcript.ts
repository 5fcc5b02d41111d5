import type { Language } from '../config/app-config';
import { plainFromHtml } from '../telegram/formatted-text';
import type { I18n } from '../telegram/i18n/i18n.service';
import { CATALOG, MessageKey } from '../telegram/i18n/messages';
import type { Customer } from '../tickets/customer.entity';
import type { TicketMessage } from '../tickets/ticket-message.entity';
import type { Ticket } from '../tickets/ticket.entity';

export type TranscriptMessage = Pick<TicketMessage, 'direction' | 'via' | 'kind' | 'text' | 'authorName' | 'createdAt'>;

/** Minutes in UTC, as the header says: "2026-11-24 09:05". */
const utcMinute = (at: Date) => new Date(at).toISOString().slice(0, 16).replace('T', ' ');

/**
 * The /transcript file, plain text in the support language: the ticket, its customer and its opening,
 * then one line per message in the order written: the time, who wrote it (the customer, an agent, or
 * the bot for the team: a ready answer, a sent AI draft; or on its own: an automatic AI answer), and
 * the text, media as a placeholder with its caption.
 */
export function transcriptText(
  i18n: I18n,
  language: Language,
  about: { ticket: Pick<Ticket, 'id' | 'customerId' | 'language' | 'status' | 'createdAt'>; customer: Pick<Customer, 'firstName' | 'lastName' | 'username'> | null; category: string },
  messages: TranscriptMessage[],
): string {
  // Catalog texts are HTML (their values escaped); a text file wants them plain.
  const t = (key: MessageKey, vars: Record<string, string | number> = {}) => plainFromHtml(i18n.t(language, key, vars));
  const { ticket, customer } = about;
  const customerName = [customer?.firstName, customer?.lastName].filter(Boolean).join(' ') || String(ticket.customerId);
  const header = [
    `#${ticket.id} · ${about.category}`,
    t('transcript.customerLine', {
      customer: `${customerName}${customer?.username ? ` (@${customer.username})` : ''}`,
      id: ticket.customerId,
      language: plainFromHtml(i18n.t(ticket.language, 'language.name')),
    }),
    t('transcript.opened', { time: utcMinute(ticket.createdAt), status: t(ticket.status === 'open' ? 'transcript.status.open' : 'transcript.status.closed') }),
  ];
  const who = (m: TranscriptMessage): string => {
    if (m.direction === 'customer') return t('transcript.customer', { name: customerName });
    const name = m.authorName ?? t('transcript.team');
    switch (m.via) {
      case 'ready':
        return t('transcript.ready', { name });
      case 'ai-draft':
        return t('transcript.aiDraft', { name });
      case 'ai-auto':
        return t('transcript.aiAuto');
      default:
        return m.authorName ? t('transcript.agent', { name }) : name;
    }
  };
  const lines = messages.map((m) => {
    const media = m.kind === 'text' ? '' : `${t(kindKey(m.kind))}${m.text ? ' ' : ''}`;
    return `[${utcMinute(m.createdAt)}] ${who(m)}: ${media}${m.text ?? ''}`;
  });
  return [...header, '', ...lines, ''].join('\n');
}

/** The placeholder of a message kind (photo, voice, ...); a kind the catalog does not name is an attachment. */
function kindKey(kind: string): MessageKey {
  const key = `transcript.kind.${kind}`;
  return key in CATALOG.en ? (key as MessageKey) : 'transcript.kind.other';
}
