import { badRequest } from './errors';
import { compareEntities, HtmlParseError, parseHtml } from './html-parser';
import type { MessageEntity, MessageEntityType, TgUser } from './types';

export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;

const ENTITY_TYPES = new Set<MessageEntityType>([
  'mention', 'hashtag', 'cashtag', 'bot_command', 'url', 'email', 'phone_number', 'bold', 'italic', 'underline',
  'strikethrough', 'spoiler', 'blockquote', 'expandable_blockquote', 'code', 'pre', 'text_link', 'text_mention',
  'custom_emoji', 'date_time',
]);

/** Code points, which is how TDLib measures the 4096/1024 limits. */
export const codePointLength = (s: string): number => {
  let count = 0;
  for (const _ of s) count++;
  return count;
};

export interface FormatOptions {
  kind: 'text' | 'caption';
  resolveUser?: (id: number) => TgUser | undefined;
}

/**
 * Turns a request's text + parse_mode/entities into the stored text and entities the way the Bot API
 * does: parse, trim surrounding whitespace, auto-detect links/mentions/commands, then check limits.
 * MarkdownV2 and Markdown are accepted but the text is kept verbatim without entities — a deliberate
 * simplification, since the project only sends HTML.
 */
export function formatText(
  raw: string,
  parseMode: unknown,
  rawEntities: unknown,
  options: FormatOptions,
): { text: string; entities: MessageEntity[] } {
  let text = raw;
  let entities: MessageEntity[] = [];
  const mode = typeof parseMode === 'string' ? parseMode.toLowerCase() : '';
  if (mode === 'html') {
    try {
      ({ text, entities } = parseHtml(raw, { resolveUser: options.resolveUser }));
    } catch (err) {
      if (err instanceof HtmlParseError) throw badRequest(`can't parse entities: ${err.message}`);
      throw err;
    }
  } else if (mode === 'markdownv2' || mode === 'markdown') {
    entities = [];
  } else if (mode !== '') {
    throw badRequest('unsupported parse_mode');
  } else if (rawEntities !== undefined && rawEntities !== null && rawEntities !== '') {
    entities = validateEntities(rawEntities, raw.length);
  }

  ({ text, entities } = trimFormatted(text, entities));
  if (text.length === 0) {
    if (options.kind === 'text') throw badRequest('message text is empty');
    return { text: '', entities: [] };
  }
  const limit = options.kind === 'text' ? MAX_TEXT_LENGTH : MAX_CAPTION_LENGTH;
  if (codePointLength(text) > limit) {
    throw badRequest(options.kind === 'text' ? 'message is too long' : 'message caption is too long');
  }
  return { text, entities: mergeDetected(entities, detectEntities(text)) };
}

function validateEntities(value: unknown, textLength: number): MessageEntity[] {
  if (!Array.isArray(value)) throw badRequest("can't parse entities JSON object");
  const out: MessageEntity[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) throw badRequest("can't parse MessageEntity: Object expected");
    const e = item as Record<string, unknown>;
    if (typeof e.type !== 'string') throw badRequest('can\'t parse MessageEntity: Field "type" must be of type String');
    if (typeof e.offset !== 'number') throw badRequest('can\'t parse MessageEntity: Field "offset" must be of type Number');
    if (typeof e.length !== 'number') throw badRequest('can\'t parse MessageEntity: Field "length" must be of type Number');
    // TDLib silently drops unknown types and entities that fall outside the text.
    if (!ENTITY_TYPES.has(e.type as MessageEntityType)) continue;
    const offset = Math.max(0, Math.trunc(e.offset));
    const end = Math.min(textLength, offset + Math.trunc(e.length));
    if (end <= offset) continue;
    if (e.type === 'text_link' && typeof e.url !== 'string') throw badRequest('can\'t parse MessageEntity: Field "url" must be of type String');
    out.push({ ...(e as unknown as MessageEntity), offset, length: end - offset });
  }
  return out.sort(compareEntities);
}

const isTrimSpace = (ch: string): boolean => ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t';

/** TDLib strips leading and trailing whitespace from message texts and shifts/clips entities accordingly. */
export function trimFormatted(text: string, entities: MessageEntity[]): { text: string; entities: MessageEntity[] } {
  let start = 0;
  let end = text.length;
  while (start < end && isTrimSpace(text[start])) start++;
  while (end > start && isTrimSpace(text[end - 1])) end--;
  if (start === 0 && end === text.length) return { text, entities };
  const out: MessageEntity[] = [];
  for (const e of entities) {
    const s = Math.max(e.offset, start);
    const f = Math.min(e.offset + e.length, end);
    if (f > s) out.push({ ...e, offset: s - start, length: f - s });
  }
  return { text: text.slice(start, end), entities: out };
}

/**
 * A small subset of TDLib's `find_entities`: bot commands, @mentions, #hashtags, e-mails and http(s)
 * links are detected in every message, as Telegram does for both users' and bots' texts.
 */
export function detectEntities(text: string): MessageEntity[] {
  const found: MessageEntity[] = [];
  const push = (type: MessageEntityType, offset: number, length: number): void => {
    found.push({ type, offset, length });
  };
  const boundary = (i: number): boolean => i === 0 || /[\s(\[{,;!?"'«]/.test(text[i - 1]);
  const patterns: Array<[RegExp, MessageEntityType]> = [
    [/\/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z][a-zA-Z0-9_]{3,31})?(?![a-zA-Z0-9_@/])/g, 'bot_command'],
    [/https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'»]/gi, 'url'],
    [/[a-zA-Z0-9._%+-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}/g, 'email'],
    [/@[a-zA-Z][a-zA-Z0-9_]{3,31}(?![a-zA-Z0-9_])/g, 'mention'],
    [/#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*/gu, 'hashtag'],
  ];
  for (const [re, type] of patterns) {
    for (const m of text.matchAll(re)) {
      const offset = m.index ?? 0;
      if (type !== 'url' && type !== 'email' && !boundary(offset)) continue;
      if (found.some((f) => offset < f.offset + f.length && f.offset < offset + m[0].length)) continue;
      push(type, offset, m[0].length);
    }
  }
  return found.sort(compareEntities);
}

const OPAQUE: ReadonlySet<MessageEntityType> = new Set<MessageEntityType>([
  'code', 'pre', 'text_link', 'text_mention', 'custom_emoji', 'url', 'email', 'mention', 'hashtag', 'bot_command',
  'cashtag', 'phone_number', 'date_time',
]);

function mergeDetected(explicit: MessageEntity[], detected: MessageEntity[]): MessageEntity[] {
  if (detected.length === 0) return explicit;
  const kept = detected.filter(
    (d) => !explicit.some((e) => OPAQUE.has(e.type) && d.offset < e.offset + e.length && e.offset < d.offset + d.length),
  );
  return [...explicit, ...kept].sort(compareEntities);
}
