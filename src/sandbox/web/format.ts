import type { MessageEntity } from '../emulator/types';

/** Text is data: everything that reaches innerHTML goes through here. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Only links a person can safely follow; anything else (javascript:, data:) is shown as plain text. */
export function safeHref(raw: string): string | undefined {
  const href = /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `http://${raw}`;
  return /^(https?|tg|mailto|tel):/i.test(href) ? href : undefined;
}

function link(href: string | undefined, cls = ''): string {
  if (!href) return '<span>';
  return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer"${cls ? ` class="${cls}"` : ''}>`;
}

/** The opening and closing tag of one entity; `text` is the entity's own text (for url, email, phone). */
function tags(e: MessageEntity, text: string): [string, string] {
  switch (e.type) {
    case 'bold':
      return ['<strong>', '</strong>'];
    case 'italic':
      return ['<em>', '</em>'];
    case 'underline':
      return ['<u>', '</u>'];
    case 'strikethrough':
      return ['<s>', '</s>'];
    case 'spoiler':
      return ['<span class="spoiler" title="spoiler: click to show">', '</span>'];
    case 'code':
      return ['<code>', '</code>'];
    case 'pre':
      return [`<pre${e.language ? ` data-language="${escapeHtml(e.language)}"` : ''}><code>`, '</code></pre>'];
    case 'blockquote':
      return ['<blockquote>', '</blockquote>'];
    case 'expandable_blockquote':
      return ['<blockquote class="expandable">', '</blockquote>'];
    case 'text_link': {
      const href = safeHref(e.url ?? '');
      return [link(href), href ? '</a>' : '</span>'];
    }
    case 'url': {
      const href = safeHref(text);
      return [link(href), href ? '</a>' : '</span>'];
    }
    case 'email':
      return [link(`mailto:${text}`), '</a>'];
    case 'phone_number':
      return [link(`tel:${text.replace(/[^\d+]/g, '')}`), '</a>'];
    case 'mention':
    case 'text_mention':
      return ['<span class="mention">', '</span>'];
    case 'hashtag':
    case 'cashtag':
      return ['<span class="hashtag">', '</span>'];
    case 'bot_command':
      return ['<span class="command">', '</span>'];
    default:
      return ['<span>', '</span>'];
  }
}

/**
 * Telegram's text + entities as HTML. Offsets are UTF-16 code units, as in JavaScript strings. Entities
 * may nest and, rarely, cross; the text is cut at every entity boundary and tags are closed and reopened
 * so that the HTML always nests.
 */
export function entitiesToHtml(text: string, entities: MessageEntity[] = []): string {
  const valid = entities
    .map((e, index) => ({ e, index, start: e.offset, end: e.offset + e.length }))
    .filter((x) => x.e.length > 0 && x.start >= 0 && x.end <= text.length);
  if (valid.length === 0) return escapeHtml(text);
  // Outer entities first: earlier start, then longer; the original order breaks ties.
  valid.sort((a, b) => a.start - b.start || b.end - a.end || a.index - b.index);
  const points = [...new Set([0, text.length, ...valid.flatMap((x) => [x.start, x.end])])].sort((a, b) => a - b);

  let html = '';
  const open: typeof valid = [];
  for (let i = 0; i < points.length - 1; i++) {
    const [from, to] = [points[i], points[i + 1]];
    const active = valid.filter((x) => x.start <= from && x.end >= to);
    let common = 0;
    while (common < open.length && common < active.length && open[common] === active[common]) common++;
    while (open.length > common) html += tags(open.pop()!.e, '')[1];
    for (const x of active.slice(common)) {
      html += tags(x.e, text.slice(x.start, x.end))[0];
      open.push(x);
    }
    html += escapeHtml(text.slice(from, to));
  }
  while (open.length) html += tags(open.pop()!.e, '')[1];
  return html;
}
