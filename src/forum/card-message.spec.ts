import { FormattedTextBuilder, codePointLength } from '../telegram/formatted-text';
import { cardWithMessage } from './card-message';

const card = new FormattedTextBuilder().add('🎫 Ticket #1', { type: 'bold' }).add('\nCategory: Other').build();
const slice = (text: string, e: { offset: number; length: number }) => text.slice(e.offset, e.offset + e.length);

describe('cardWithMessage', () => {
  it('puts a text after the card with its entities moved, counted in UTF-16 as Telegram does', () => {
    const text = '😀 see https://x.io and *this*';
    const entities = [
      { type: 'url' as const, offset: 7, length: 12 },
      { type: 'bold' as const, offset: 24, length: 6 },
    ];
    const joined = cardWithMessage(card, { kind: 'text', text, entities, mediaGroupId: null });
    expect(joined?.kind).toBe('text');
    if (joined?.kind !== 'text') return;
    expect(joined.text).toBe(`${card.text}\n\n${text}`);
    expect(joined.entities.map((e) => [e.type, slice(joined.text, e)])).toEqual([
      ['bold', '🎫 Ticket #1'],
      ['url', 'https://x.io'],
      ['bold', '*this*'],
    ]);
  });

  it('puts the card in front of a caption, keeping the caption’s entities, and alone when there is no caption', () => {
    const withCaption = cardWithMessage(card, { kind: 'photo', text: 'broken screen', entities: [{ type: 'italic', offset: 0, length: 6 }], mediaGroupId: null });
    expect(withCaption).toEqual({
      kind: 'caption',
      caption: `${card.text}\n\nbroken screen`,
      caption_entities: [...card.entities, { type: 'italic', offset: card.text.length + 2, length: 6 }],
    });
    expect(cardWithMessage(card, { kind: 'document', text: null, entities: null, mediaGroupId: null })).toEqual({
      kind: 'caption',
      caption: card.text,
      caption_entities: card.entities,
    });
  });

  it('leaves them as two messages past Telegram’s lengths, for albums and for kinds without a caption', () => {
    // Telegram counts code points: the card's emoji is one, though two UTF-16 units.
    const room = 4096 - codePointLength(card.text) - 2;
    expect(cardWithMessage(card, { kind: 'text', text: 'я'.repeat(room + 1), entities: null, mediaGroupId: null })).toBeNull();
    expect(cardWithMessage(card, { kind: 'text', text: 'я'.repeat(room), entities: null, mediaGroupId: null })).not.toBeNull();
    expect(cardWithMessage(card, { kind: 'photo', text: 'x'.repeat(1024), entities: null, mediaGroupId: null })).toBeNull();
    expect(cardWithMessage(card, { kind: 'photo', text: 'in an album', entities: null, mediaGroupId: 'a1' })).toBeNull();
    expect(cardWithMessage(card, { kind: 'sticker', text: null, entities: null, mediaGroupId: null })).toBeNull();
  });
});
