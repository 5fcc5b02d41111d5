import type { MessageEntity, MessageEntityType, TgUser } from './types';

/**
 * Telegram's HTML parse mode, ported from TDLib's `parse_html` (td/telegram/MessageEntity.cpp).
 * It works on UTF-8 bytes because TDLib reports error positions as byte offsets, and it counts
 * entity offsets in UTF-16 code units because that is what the Bot API exposes.
 */
export class HtmlParseError extends Error {}

const SUPPORTED_TAGS = new Set([
  'a', 'b', 'strong', 'i', 'em', 's', 'strike', 'del', 'u', 'ins', 'tg-spoiler', 'tg-emoji', 'span', 'pre',
  'code', 'blockquote', 'tg-time',
]);

// TDLib's is_space treats NUL as a space; the parser relies on that to stop at the end of input.
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0x00 || c === 0x0b;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexValue = (c: number): number => (isDigit(c) ? c - 0x30 : (c | 0x20) - 0x61 + 10);

interface OpenTag {
  name: string;
  argument: string;
  utf16Offset: number;
  resultBytePos: number;
  extra?: Record<string, string>;
}

/** Sorting priority TDLib gives entity types that start and end at the same place. */
const TYPE_PRIORITY: Partial<Record<MessageEntityType, number>> = {
  expandable_blockquote: 0,
  blockquote: 1,
  pre: 11,
  code: 20,
  text_link: 49,
  text_mention: 49,
  bold: 90,
  italic: 91,
  underline: 92,
  strikethrough: 93,
  spoiler: 94,
  date_time: 95,
  custom_emoji: 99,
};

export function compareEntities(a: MessageEntity, b: MessageEntity): number {
  if (a.offset !== b.offset) return a.offset - b.offset;
  if (a.length !== b.length) return b.length - a.length;
  return (TYPE_PRIORITY[a.type] ?? 50) - (TYPE_PRIORITY[b.type] ?? 50);
}

export interface HtmlParseOptions {
  /** Resolves `tg://user?id=N` links to a user for text_mention entities. */
  resolveUser?: (id: number) => TgUser | undefined;
}

export function parseHtml(input: string, options: HtmlParseOptions = {}): { text: string; entities: MessageEntity[] } {
  const text = Buffer.from(input, 'utf8');
  const n = text.length;
  const at = (i: number): number => (i < n ? text[i] : 0);
  const result: number[] = [];
  const entities: MessageEntity[] = [];
  const open: OpenTag[] = [];
  let utf16 = 0;

  const appendCodePoint = (target: number[], cp: number): void => {
    for (const byte of Buffer.from(String.fromCodePoint(cp), 'utf8')) target.push(byte);
  };

  // Returns the decoded code point and the position after the entity, or 0 when `&` is literal.
  const decodeEntity = (pos: number): [number, number] => {
    let end = pos + 1;
    let res = 0;
    if (at(pos + 1) === 0x23 /* # */) {
      end++;
      if (at(pos + 2) === 0x78 /* x */) {
        end++;
        while (isHex(at(end))) {
          res = res * 16 + hexValue(at(end++));
          if (res >= 0x10ffff) return [0, pos];
        }
      } else {
        while (isDigit(at(end))) {
          res = res * 10 + at(end++) - 0x30;
          if (res >= 0x10ffff) return [0, pos];
        }
      }
      if (res === 0 || res >= 0x10ffff || end - pos >= 10) return [0, pos];
      // Lone surrogates cannot be represented in valid UTF-8, so they stay literal.
      if (res >= 0xd800 && res <= 0xdfff) return [0, pos];
    } else {
      while (isAlpha(at(end))) end++;
      const name = text.subarray(pos + 1, end).toString('latin1');
      if (name === 'lt') res = 0x3c;
      else if (name === 'gt') res = 0x3e;
      else if (name === 'amp') res = 0x26;
      else if (name === 'quot') res = 0x22;
      else return [0, pos];
    }
    return [res, at(end) === 0x3b /* ; */ ? end + 1 : end];
  };

  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === 0x26 /* & */) {
      const [cp, next] = decodeEntity(i);
      if (cp !== 0) {
        utf16 += cp > 0xffff ? 2 : 1;
        appendCodePoint(result, cp);
        i = next;
        continue;
      }
    }
    if (c !== 0x3c /* < */) {
      result.push(c);
      // Count one UTF-16 unit per UTF-8 lead byte, two for 4-byte sequences (surrogate pairs).
      if ((c & 0xc0) !== 0x80) utf16 += c >= 0xf0 ? 2 : 1;
      i++;
      continue;
    }

    const beginPos = i++;
    if (at(i) !== 0x2f /* / */) {
      while (!isSpace(at(i)) && at(i) !== 0x3e /* > */) i++;
      if (at(i) === 0 && i >= n) throw new HtmlParseError(`Unclosed start tag at byte offset ${beginPos}`);
      const tagName = text.subarray(beginPos + 1, i).toString('utf8').toLowerCase();
      if (!SUPPORTED_TAGS.has(tagName)) {
        throw new HtmlParseError(`Unsupported start tag "${tagName}" at byte offset ${beginPos}`);
      }

      let argument = '';
      const extra: Record<string, string> = {};
      while (at(i) !== 0x3e) {
        while (i < n && isSpace(at(i))) i++;
        if (at(i) === 0x3e) break;
        if (i >= n) throw new HtmlParseError(`Unclosed start tag at byte offset ${beginPos}`);
        const attrBegin = i;
        while (!isSpace(at(i)) && at(i) !== 0x3d /* = */ && at(i) !== 0x3e) i++;
        const attrName = text.subarray(attrBegin, i).toString('utf8');
        if (attrName.length === 0) {
          throw new HtmlParseError(`Empty attribute name in the tag "${tagName}" at byte offset ${beginPos}`);
        }
        while (i < n && isSpace(at(i))) i++;
        if (at(i) !== 0x3d) {
          // A valueless attribute; only `expandable` on blockquote means something.
          if (i >= n) throw new HtmlParseError(`Unclosed start tag at byte offset ${beginPos}`);
          if (tagName === 'blockquote' && attrName === 'expandable') argument = '1';
          continue;
        }
        i++;
        while (i < n && isSpace(at(i))) i++;
        if (i >= n) throw new HtmlParseError(`Unclosed start tag at byte offset ${beginPos}`);

        let value: string;
        const quote = at(i);
        if (quote !== 0x27 && quote !== 0x22) {
          // An unquoted HTML name token: letters, digits, periods and hyphens, case-insensitive.
          const tokenBegin = i;
          while (isAlpha(at(i)) || isDigit(at(i)) || at(i) === 0x2e || at(i) === 0x2d) i++;
          value = text.subarray(tokenBegin, i).toString('utf8').toLowerCase();
          if (!isSpace(at(i)) && at(i) !== 0x3e) {
            throw new HtmlParseError(`Unexpected end of name token at byte offset ${tokenBegin}`);
          }
        } else {
          i++;
          const bytes: number[] = [];
          while (i < n && at(i) !== quote) {
            if (at(i) === 0x26) {
              const [cp, next] = decodeEntity(i);
              if (cp !== 0) {
                appendCodePoint(bytes, cp);
                i = next;
                continue;
              }
            }
            bytes.push(at(i++));
          }
          if (at(i) === quote && i < n) i++;
          value = Buffer.from(bytes).toString('utf8');
        }
        if (i >= n) throw new HtmlParseError(`Unclosed start tag at byte offset ${beginPos}`);

        if (tagName === 'a' && attrName === 'href') argument = value;
        else if (tagName === 'code' && attrName === 'class' && value.startsWith('language-')) argument = value.slice(9);
        else if (tagName === 'span' && attrName === 'class' && value.startsWith('tg-')) argument = value.slice(3);
        else if (tagName === 'tg-emoji' && attrName === 'emoji-id') argument = value;
        else if (tagName === 'tg-time' && (attrName === 'unix' || attrName === 'format')) extra[attrName] = value;
      }
      if (tagName === 'span' && argument !== 'spoiler') {
        throw new HtmlParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${beginPos}`);
      }
      open.push({ name: tagName, argument, utf16Offset: utf16, resultBytePos: result.length, extra });
      i++; // skip '>'
    } else {
      if (open.length === 0) throw new HtmlParseError(`Unexpected end tag at byte offset ${beginPos}`);
      i++; // skip '/'
      while (!isSpace(at(i)) && at(i) !== 0x3e) i++;
      const endTagName = text.subarray(beginPos + 2, i).toString('utf8');
      while (i < n && isSpace(at(i))) i++;
      if (at(i) !== 0x3e || i >= n) throw new HtmlParseError(`Unclosed end tag at byte offset ${beginPos}`);
      const tag = open[open.length - 1];
      if (endTagName.length > 0 && endTagName !== tag.name) {
        throw new HtmlParseError(
          `Unmatched end tag at byte offset ${beginPos}, expected "</${tag.name}>", found "</${endTagName}>"`,
        );
      }
      i++; // skip '>'
      if (utf16 > tag.utf16Offset) addEntity(tag, utf16 - tag.utf16Offset);
      open.pop();
    }
  }
  if (open.length > 0) {
    throw new HtmlParseError(`Can't find end tag corresponding to start tag "${open[open.length - 1].name}"`);
  }

  function addEntity(tag: OpenTag, length: number): void {
    const offset = tag.utf16Offset;
    const last = entities[entities.length - 1];
    switch (tag.name) {
      case 'b':
      case 'strong':
        entities.push({ type: 'bold', offset, length });
        return;
      case 'i':
      case 'em':
        entities.push({ type: 'italic', offset, length });
        return;
      case 'u':
      case 'ins':
        entities.push({ type: 'underline', offset, length });
        return;
      case 's':
      case 'strike':
      case 'del':
        entities.push({ type: 'strikethrough', offset, length });
        return;
      case 'tg-spoiler':
      case 'span':
        entities.push({ type: 'spoiler', offset, length });
        return;
      case 'blockquote':
        entities.push({ type: tag.argument ? 'expandable_blockquote' : 'blockquote', offset, length });
        return;
      case 'tg-emoji':
        if (!/^\d{1,19}$/.test(tag.argument)) throw new HtmlParseError('Invalid custom emoji identifier specified');
        entities.push({ type: 'custom_emoji', offset, length, custom_emoji_id: tag.argument });
        return;
      case 'tg-time': {
        const unix = Number(tag.extra?.unix);
        if (!Number.isInteger(unix)) return;
        const e: MessageEntity = { type: 'date_time', offset, length, unix_time: unix };
        if (tag.extra?.format) e.date_time_format = tag.extra.format;
        entities.push(e);
        return;
      }
      case 'a': {
        const url = tag.argument || Buffer.from(result.slice(tag.resultBytePos)).toString('utf8');
        const mention = /^tg:\/\/user\?id=(\d{1,16})$/i.exec(url.trim());
        if (mention) {
          const id = Number(mention[1]);
          const user = options.resolveUser?.(id) ?? { id, is_bot: false, first_name: '' };
          entities.push({ type: 'text_mention', offset, length, user });
          return;
        }
        const link = checkLink(url);
        if (link) entities.push({ type: 'text_link', offset, length, url: link });
        return;
      }
      case 'pre':
        if (last && last.type === 'code' && last.offset === offset && last.length === length && last.language) {
          last.type = 'pre';
        } else {
          entities.push({ type: 'pre', offset, length });
        }
        return;
      case 'code':
        if (last && last.type === 'pre' && last.offset === offset && last.length === length && tag.argument) {
          last.language = tag.argument;
        } else if (tag.argument) {
          entities.push({ type: 'code', offset, length, language: tag.argument });
        } else {
          entities.push({ type: 'code', offset, length });
        }
        return;
    }
  }

  // A <code class="language-x"> outside <pre> is plain code: the language only survives in pre.
  for (const e of entities) if (e.type === 'code') delete e.language;
  entities.sort(compareEntities);
  return { text: Buffer.from(result).toString('utf8'), entities };
}

/**
 * Simplified TDLib `check_link`: a link without a scheme gets `http://`; unsupported schemes make the
 * entity disappear silently, as TDLib drops text_link entities whose URL it cannot accept.
 */
function checkLink(raw: string): string | undefined {
  const url = raw.trim();
  if (!url) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (!scheme) return /^[^\s/]+\.[^\s/]+/.test(url) ? `http://${url}` : undefined;
  const s = scheme[1].toLowerCase();
  if (!['http', 'https', 'tg', 'ton', 'tonsite'].includes(s)) return undefined;
  return url;
}
