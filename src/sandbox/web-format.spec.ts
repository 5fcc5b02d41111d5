import type { MessageEntity } from './emulator/types';
import { entitiesToHtml, escapeHtml } from './web/format';

const e = (type: MessageEntity['type'], offset: number, length: number, extra: Partial<MessageEntity> = {}): MessageEntity => ({ type, offset, length, ...extra });

describe('the sandbox page renders Telegram entities as HTML', () => {
  it('escapes text: markup in a message is shown, never run', () => {
    expect(entitiesToHtml('<script>alert(1)</script> & "x"')).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
    expect(entitiesToHtml('<b>x</b>', [e('bold', 0, 8)])).toBe('<strong>&lt;b&gt;x&lt;/b&gt;</strong>');
  });

  it('renders each formatting entity', () => {
    const text = 'b i u s c p q l h';
    const html = entitiesToHtml(text, [
      e('bold', 0, 1),
      e('italic', 2, 1),
      e('underline', 4, 1),
      e('strikethrough', 6, 1),
      e('code', 8, 1),
      e('pre', 10, 1, { language: 'ts' }),
      e('blockquote', 12, 1),
      e('text_link', 14, 1, { url: 'https://example.com/?a=1&b="2"' }),
      e('spoiler', 16, 1),
    ]);
    expect(html).toBe(
      '<strong>b</strong> <em>i</em> <u>u</u> <s>s</s> <code>c</code> <pre data-language="ts"><code>p</code></pre> ' +
        '<blockquote>q</blockquote> <a href="https://example.com/?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener noreferrer">l</a> ' +
        '<span class="spoiler" title="spoiler: click to show">h</span>',
    );
  });

  it('nests entities, and closes and reopens tags where two cross', () => {
    expect(entitiesToHtml('bold italic', [e('bold', 0, 11), e('italic', 5, 6)])).toBe('<strong>bold <em>italic</em></strong>');
    expect(entitiesToHtml('abcdef', [e('bold', 0, 4), e('italic', 2, 4)])).toBe('<strong>ab<em>cd</em></strong><em>ef</em>');
  });

  it('counts offsets in UTF-16 code units, as the Bot API does', () => {
    expect(entitiesToHtml('😀 hi', [e('bold', 3, 2)])).toBe('😀 <strong>hi</strong>');
  });

  it('links only to safe addresses', () => {
    expect(entitiesToHtml('x', [e('text_link', 0, 1, { url: 'javascript:alert(1)' })])).toBe('<span>x</span>');
    expect(entitiesToHtml('example.com', [e('url', 0, 11)])).toContain('href="http://example.com"');
    expect(entitiesToHtml('a@b.co', [e('email', 0, 6)])).toContain('href="mailto:a@b.co"');
  });

  it('ignores entities outside the text', () => {
    expect(entitiesToHtml('ab', [e('bold', 1, 5)])).toBe('ab');
    expect(escapeHtml("'")).toBe('&#39;');
  });
});
