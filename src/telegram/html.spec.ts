import { escapeHtml, oneLine, truncate } from './html';

describe('html helpers', () => {
  it('escapes every character Telegram HTML treats as markup', () => {
    expect(escapeHtml('<b>x</b> & <i>')).toBe('&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;');
    expect(escapeHtml('a "q"')).toBe('a &quot;q&quot;');
  });

  it('does not double-escape once it has escaped', () => {
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });

  it('truncates by code points on a word boundary', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('the refund never arrived at all', 20)).toBe('the refund never…');
    expect(Array.from(truncate('😀'.repeat(50), 10))).toHaveLength(10);
  });

  it('collapses whitespace to one line', () => {
    expect(oneLine(' a\n\n b\t c ')).toBe('a b c');
  });
});
