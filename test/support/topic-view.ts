import type { BotApiEmulator, TgMessage } from '../../src/sandbox/emulator';

/** The first line of a ticket card, in either language. */
const CARD_HEAD = /^🎫 (?:Ticket|Обращение) #\d+\n/;

/**
 * A topic's messages as the team reads them. The card often carries the customer's first message (one
 * group message for both); here such a message is two: the card (a text) and the customer's message
 * (its text or caption after the card, entities moved back), so tests can look for copies as copies.
 */
export function topicMessages(emu: BotApiEmulator, threadId: number, chatId?: number): TgMessage[] {
  return emu.topicMessages(threadId, chatId).flatMap(splitCard);
}

export function splitCard(message: TgMessage): TgMessage[] {
  const isText = message.text !== undefined;
  const body = isText ? message.text! : message.caption;
  if (body === undefined || !CARD_HEAD.test(body)) return [message];
  const cut = body.indexOf('\n\n');
  const cardText = cut < 0 ? body : body.slice(0, cut);
  const entities = (isText ? message.entities : message.caption_entities) ?? [];
  const card: TgMessage = { ...message, text: cardText, entities: entities.filter((e) => e.offset < cardText.length) };
  delete card.caption;
  delete card.caption_entities;
  for (const media of ['photo', 'video', 'document', 'audio', 'animation', 'voice'] as const) delete (card as Record<string, unknown>)[media];
  if (cut < 0 && isText) return [card];
  const rest = cut < 0 ? '' : body.slice(cut + 2);
  const shift = cut + 2;
  const moved = entities.filter((e) => e.offset >= shift).map((e) => ({ ...e, offset: e.offset - shift }));
  const copy: TgMessage = isText
    ? { ...message, text: rest, entities: moved.length ? moved : undefined }
    : { ...message, caption: rest || undefined, caption_entities: moved.length && rest ? moved : undefined };
  if (!isText && !rest) {
    delete copy.caption;
    delete copy.caption_entities;
  }
  if (isText && !moved.length) delete copy.entities;
  return [card, copy];
}
