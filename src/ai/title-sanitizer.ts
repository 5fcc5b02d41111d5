import { truncate } from '../telegram/html';

/** Telegram's limit for a forum topic name. */
export const TOPIC_NAME_MAX = 128;

/** A label a model may put before its answer ("Title: …", "Название: …"). */
const LABEL = /^(?:title|topic|topic name|subject|name|ticket|заголовок|название|тема|тикет)\s*[:：\-–—]\s*/iu;
/** Quotes that may surround the whole title, as [opening, closing] pairs. */
const QUOTE_PAIRS: [string, string][] = [
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
  ['«', '»'],
  ['»', '«'],
  ['„', '“'],
  ['„', '”'],
  ['“', '”'],
  ['”', '”'],
  ['‘', '’'],
  ['‹', '›'],
  ['「', '」'],
];
const QUOTE_CHARS = new Set(QUOTE_PAIRS.flat());
/** Invisible and direction-changing characters: a title must look like what it is. */
const INVISIBLE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g;

/**
 * Turns whatever a model returned into a topic name: `#<ticketId> · <title>`, one line, plain text
 * (no HTML, no Markdown, no `<` or `>`), no label, no quotes around it, 1–128 characters. The ticket
 * number always comes first because crash recovery finds a topic's ticket by that prefix. Returns null
 * when nothing usable is left, so the provisional title stays.
 */
export function sanitizeTitle(raw: string | null | undefined, ticketId: number): string | null {
  const title = cleanTitle(raw);
  if (!title) return null;
  return truncate(`#${ticketId} · ${title}`, TOPIC_NAME_MAX);
}

/** The title text alone, cleaned; '' when nothing usable is left. */
export function cleanTitle(raw: string | null | undefined): string {
  if (!raw) return '';
  let text = raw
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE, '')
    // Whole blocks whose content is code, not words.
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
  // Decoded entities can spell invisible characters too (&#x202E;): strip them again after decoding.
  text = decodeEntities(text)
    .replace(INVISIBLE, '')
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?[a-z][^>]*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/[<>]/g, ' ')
    // Markdown: links keep their text, fences and emphasis markers go.
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s*(```|~~~).*$/gm, '')
    .replace(/(\*\*|__|~~|`)/g, '');
  for (const line of text.split('\n')) {
    const cleaned = cleanLine(line);
    if (/[\p{L}\p{N}]/u.test(cleaned)) return cleaned;
  }
  return '';
}

function cleanLine(line: string): string {
  let text = line.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 4; i++) {
    const before = text;
    text = text
      .replace(/^(?:[-*+•]\s+|\d+[.)]\s+|#+\s*(?!\d))/u, '')
      .replace(LABEL, '')
      // A ticket number the model echoed: ours is added in front anyway.
      .replace(/^#\d+\s*[·:|\-–—]?\s*/u, '')
      .replace(/^[\s*_]+|[\s*_.,;:!&|\-–—]+$/gu, '');
    text = stripQuotes(text).trim();
    if (text === before) break;
  }
  return text;
}

/** Removes quotes around the whole text, and a lone opening or closing quote left at either end. */
function stripQuotes(text: string): string {
  for (;;) {
    const pair = QUOTE_PAIRS.find(([open, close]) => text.length >= 2 && text.startsWith(open) && text.endsWith(close));
    if (!pair) break;
    text = text.slice(pair[0].length, text.length - pair[1].length).trim();
  }
  const first = text.charAt(0);
  if (QUOTE_CHARS.has(first) && !text.slice(1).includes(first) && !QUOTE_PAIRS.some(([o, c]) => o === first && text.slice(1).includes(c))) {
    text = text.slice(1);
  }
  const last = text.charAt(text.length - 1);
  if (QUOTE_CHARS.has(last) && !text.slice(0, -1).includes(last) && !QUOTE_PAIRS.some(([o, c]) => c === last && text.slice(0, -1).includes(o))) {
    text = text.slice(0, -1);
  }
  return text;
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', laquo: '«', raquo: '»' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
    }
    return named[name.toLowerCase()] ?? whole;
  });
}
