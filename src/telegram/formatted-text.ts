import type { MessageEntity } from 'telegraf/types';

/** A text with its entities, as Telegram sends and takes them (offsets in UTF-16 code units). */
export interface FormattedText {
  text: string;
  entities: MessageEntity[];
}

/** Telegram's limits for a message text and a caption, counted in code points after entities parsing. */
export const TEXT_MAX = 4096;
export const CAPTION_MAX = 1024;

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

type EntityStyle = Omit<MessageEntity.TextLinkMessageEntity, 'offset' | 'length'> | { type: 'bold' | 'italic' | 'code' };

/** Builds a formatted text piece by piece, so nothing is rendered to HTML and parsed back. */
export class FormattedTextBuilder {
  private text = '';
  private readonly entities: MessageEntity[] = [];

  add(piece: string, style?: EntityStyle): this {
    if (style && piece.length) this.entities.push({ ...style, offset: this.text.length, length: piece.length } as MessageEntity);
    this.text += piece;
    return this;
  }

  build(): FormattedText {
    return { text: this.text, entities: [...this.entities] };
  }
}

/** `head`, a blank line, then `tail` with its entities moved by the length of what precedes it. */
export function joinFormatted(head: FormattedText, tail: FormattedText, separator = '\n\n'): FormattedText {
  if (!tail.text) return head;
  const shift = head.text.length + separator.length;
  return {
    text: `${head.text}${separator}${tail.text}`,
    entities: [...head.entities, ...tail.entities.map((entity) => ({ ...entity, offset: entity.offset + shift }))],
  };
}

/** Catalog texts are HTML; without tags, this is their plain text. */
export function plainFromHtml(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}
