import type { MessageEntity } from 'telegraf/types';
import { CAPTION_MAX, FormattedText, TEXT_MAX, codePointLength, joinFormatted } from '../telegram/formatted-text';
import type { TicketMessage } from '../tickets/ticket-message.entity';

/** Kinds of message that carry a caption: the card can go in front of it. */
const CAPTIONED = new Set(['photo', 'video', 'document', 'audio', 'animation', 'voice']);

/** The card and the customer's first message as one group message, or null when they must be two. */
export type CardWithMessage =
  | { kind: 'text'; text: string; entities: MessageEntity[] }
  | { kind: 'caption'; caption: string; caption_entities: MessageEntity[] };

/**
 * One group message instead of two for a new ticket (the group's 20 messages a minute are the desk's
 * capacity): a text follows the card in one text message, a captioned media file gets the card in
 * front of its caption. Entities are moved, never re-rendered. Null, and two messages, when the result
 * would pass Telegram's lengths, for an album, and for kinds without a caption (stickers, polls, ...).
 */
export function cardWithMessage(card: FormattedText, message: Pick<TicketMessage, 'kind' | 'text' | 'entities' | 'mediaGroupId'>): CardWithMessage | null {
  if (message.mediaGroupId) return null;
  const own: FormattedText = { text: message.text ?? '', entities: (message.entities ?? []) as MessageEntity[] };
  if (message.kind === 'text') {
    if (!own.text) return null;
    const joined = joinFormatted(card, own);
    return codePointLength(joined.text) <= TEXT_MAX ? { kind: 'text', text: joined.text, entities: joined.entities } : null;
  }
  if (!CAPTIONED.has(message.kind)) return null;
  const joined = joinFormatted(card, own);
  return codePointLength(joined.text) <= CAPTION_MAX ? { kind: 'caption', caption: joined.text, caption_entities: joined.entities } : null;
}

