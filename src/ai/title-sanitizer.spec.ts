import { hostileOutput } from '../sandbox/fake-openai';
import { cleanTitle, sanitizeTitle, TOPIC_NAME_MAX } from './title-sanitizer';

describe('sanitizeTitle', () => {
  it('prefixes the ticket number to a plain title', () => {
    expect(sanitizeTitle('Refund for double charge', 42)).toBe('#42 · Refund for double charge');
  });

  it('drops a label, surrounding quotes and a trailing period', () => {
    expect(sanitizeTitle('Title: "Refund for double charge".', 7)).toBe('#7 · Refund for double charge');
    expect(sanitizeTitle('Название: «Не приходит код входа»', 7)).toBe('#7 · Не приходит код входа');
    expect(sanitizeTitle("'Cannot sign in'", 7)).toBe('#7 · Cannot sign in');
    expect(sanitizeTitle('**Topic:** `App crashes on start`', 7)).toBe('#7 · App crashes on start');
  });

  it('keeps quotes inside the title', () => {
    expect(sanitizeTitle('Refund for the "Pro" plan', 1)).toBe('#1 · Refund for the "Pro" plan');
  });

  it('removes HTML, scripts and entities, leaving no angle brackets', () => {
    const title = sanitizeTitle('<b>Refund</b> &lt;i&gt;now&lt;/i&gt; <script>alert(1)</script> &amp; more', 3)!;
    expect(title).toBe('#3 · Refund now & more');
    expect(title).not.toMatch(/[<>]/);
  });

  it('takes the first line with words, skipping fences and empty lines', () => {
    expect(sanitizeTitle('\n```\n\nPassword reset link expired\nSecond line', 5)).toBe('#5 · Password reset link expired');
  });

  it('does not let the model choose the ticket number', () => {
    expect(sanitizeTitle('#999 · Charged twice', 12)).toBe('#12 · Charged twice');
  });

  it('makes a hostile 300-character answer a valid topic name', () => {
    const raw = hostileOutput();
    expect(raw.length).toBe(300);
    const title = sanitizeTitle(raw, 123456)!;
    expect(title.startsWith('#123456 · ')).toBe(true);
    expect(Array.from(title).length).toBeLessThanOrEqual(TOPIC_NAME_MAX);
    expect(title).not.toMatch(/[\n\r<>]/);
    expect(title).not.toMatch(/Title:/i);
    expect(title).toBe('#123456 · Refund for a double charge');
  });

  it('cuts a long title to 128 characters with the number kept', () => {
    const title = sanitizeTitle('word '.repeat(100), 42)!;
    expect(Array.from(title).length).toBeLessThanOrEqual(128);
    expect(title.startsWith('#42 · word')).toBe(true);
    expect(title.endsWith('…')).toBe(true);
  });

  it('removes direction-changing characters spelled as HTML entities', () => {
    expect(sanitizeTitle('Refund &#x202E;gnissim&#8206; card', 42)).toBe('#42 · Refund gnissim card');
  });

  it('removes invisible and direction-changing characters', () => {
    expect(sanitizeTitle('\u202eRefund\u200b request\u0007', 2)).toBe('#2 · Refund request');
  });

  it('gives null when nothing usable is left', () => {
    expect(sanitizeTitle('', 1)).toBeNull();
    expect(sanitizeTitle(null, 1)).toBeNull();
    expect(sanitizeTitle('""', 1)).toBeNull();
    expect(sanitizeTitle('<br/>\n***\n', 1)).toBeNull();
    expect(cleanTitle('Title:')).toBe('');
  });
});
