import { HtmlParseError, parseHtml } from './html-parser';
import { detectEntities, formatText } from './text-format';

const fails = (html: string): string => {
  try {
    parseHtml(html);
  } catch (err) {
    expect(err).toBeInstanceOf(HtmlParseError);
    return (err as Error).message;
  }
  throw new Error(`expected ${html} to fail`);
};

describe('parseHtml (TDLib parse_html port)', () => {
  it('produces entities with UTF-16 offsets', () => {
    const { text, entities } = parseHtml('😀 <b>bold <i>both</i></b> <a href="https://x.org/a?b=1&amp;c=2">link</a>');
    expect(text).toBe('😀 bold both link');
    expect(entities).toEqual([
      { type: 'bold', offset: 3, length: 9 },
      { type: 'italic', offset: 8, length: 4 },
      { type: 'text_link', offset: 13, length: 4, url: 'https://x.org/a?b=1&c=2' },
    ]);
  });

  it('decodes only the four named entities and numeric ones; bare & and > stay literal', () => {
    expect(parseHtml('AT&T &nbsp; a > b &lt;x&gt; &quot;q&quot; &#65;&#x42; &amp').text).toBe('AT&T &nbsp; a > b <x> "q" AB &');
  });

  it('reports errors exactly like TDLib', () => {
    expect(fails('<foo>x</foo>')).toBe('Unsupported start tag "foo" at byte offset 0');
    expect(fails('mail <user@x.com>')).toBe('Unsupported start tag "user@x.com" at byte offset 5');
    expect(fails('<b>x')).toBe('Can\'t find end tag corresponding to start tag "b"');
    expect(fails('<b>x</i>')).toBe('Unmatched end tag at byte offset 4, expected "</b>", found "</i>"');
    expect(fails('x</b>')).toBe('Unexpected end tag at byte offset 1');
    expect(fails('ab <b')).toBe('Unclosed start tag at byte offset 3');
    expect(fails('я <b>x</b')).toBe('Unclosed end tag at byte offset 7');
    expect(fails('<span class="x">s</span>')).toBe('Tag "span" must have class "tg-spoiler" at byte offset 0');
  });

  it('supports pre+code language, blockquote expandable, spoilers, mentions and custom emoji', () => {
    const { text, entities } = parseHtml(
      '<pre><code class="language-ts">let a</code></pre><blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>' +
        '<a href="tg://user?id=42">Ann</a><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><code>c</code>',
    );
    expect(text).toBe('let aqsAnn👍c');
    expect(entities).toEqual([
      { type: 'pre', offset: 0, length: 5, language: 'ts' },
      { type: 'expandable_blockquote', offset: 5, length: 1 },
      { type: 'spoiler', offset: 6, length: 1 },
      { type: 'text_mention', offset: 7, length: 3, user: { id: 42, is_bot: false, first_name: '' } },
      { type: 'custom_emoji', offset: 10, length: 2, custom_emoji_id: '5368324170671202286' },
      { type: 'code', offset: 12, length: 1 },
    ]);
  });
});

describe('formatText', () => {
  it('trims, checks limits in code points and detects entities', () => {
    expect(formatText('  /start@support_bot hi @someone #tag https://t.me/x  ', undefined, undefined, { kind: 'text' })).toEqual({
      text: '/start@support_bot hi @someone #tag https://t.me/x',
      entities: [
        { type: 'bot_command', offset: 0, length: 18 },
        { type: 'mention', offset: 22, length: 8 },
        { type: 'hashtag', offset: 31, length: 4 },
        { type: 'url', offset: 36, length: 14 },
      ],
    });
    expect(() => formatText(' \n ', undefined, undefined, { kind: 'text' })).toThrow('Bad Request: message text is empty');
    expect(formatText('😀'.repeat(4096), undefined, undefined, { kind: 'text' }).text).toHaveLength(8192);
    expect(() => formatText('a'.repeat(4097), undefined, undefined, { kind: 'text' })).toThrow('Bad Request: message is too long');
    expect(() => formatText('<b>' + 'a'.repeat(1025) + '</b>', 'HTML', undefined, { kind: 'caption' })).toThrow(
      'Bad Request: message caption is too long',
    );
    expect(() => formatText('x', 'html5', undefined, { kind: 'text' })).toThrow('Bad Request: unsupported parse_mode');
    expect(() => formatText('<b>x', 'HTML', undefined, { kind: 'text' })).toThrow(
      'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"',
    );
  });

  it('does not treat ticket numbers as hashtags', () => {
    expect(detectEntities('Ticket #42 for a@b.io')).toEqual([{ type: 'email', offset: 15, length: 6 }]);
  });
});
