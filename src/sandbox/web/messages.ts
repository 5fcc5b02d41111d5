import type { InlineKeyboardButton, TgMessage, TgUser } from '../emulator/types';
import { api } from './api';
import { h, html, icon } from './dom';
import { entitiesToHtml, safeHref } from './format';

export interface MessageView {
  /** The viewer's own message: on the right, green. */
  mine: boolean;
  /** Shown above an incoming message (in the group, where several people write). */
  sender?: string;
  /** An agent's internal note (`// ...`): the bot keeps it in the group. */
  note?: boolean;
  /** The topic's first message: every message in a topic "replies" to it, which Telegram does not show. */
  rootId?: number;
  nameOf: (user: TgUser | undefined) => string;
  onButton?: (button: InlineKeyboardButton) => void;
  onReply?: () => void;
  onQuoteClick?: (messageId: number) => void;
}

const MEDIA_LABELS: Record<string, string> = {
  voice: '🎤 Voice message',
  audio: '🎵 Audio',
  video: '🎬 Video',
  video_note: '⏺ Video message',
  animation: '🎞 GIF',
  sticker: '🏷 Sticker',
  location: '📍 Location',
  venue: '📍 Venue',
  contact: '👤 Contact',
  poll: '📊 Poll',
  dice: '🎲 Dice',
};

export function time(unix: number): string {
  return new Date(unix * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

/** A one-line summary: for reply quotes and topic previews. */
export function preview(m: TgMessage): string {
  if (m.text) return m.text;
  if (m.photo) return m.caption ? `🖼 ${m.caption}` : '🖼 Photo';
  if (m.document) return `📄 ${String((m.document as { file_name?: string }).file_name ?? 'File')}`;
  for (const [key, label] of Object.entries(MEDIA_LABELS)) if (m[key] !== undefined) return m.caption ? `${label}: ${m.caption}` : label;
  return serviceText(m) ?? 'Message';
}

/** The line Telegram shows for a service message, or undefined for a message with content. */
export function serviceText(m: TgMessage): string | undefined {
  if (m.forum_topic_created) return `Topic “${m.forum_topic_created.name}” created`;
  if (m.forum_topic_edited) return m.forum_topic_edited.name ? `Topic renamed to “${m.forum_topic_edited.name}”` : 'Topic icon changed';
  if (m.forum_topic_closed) return 'Topic closed';
  if (m.forum_topic_reopened) return 'Topic reopened';
  if (m.pinned_message) return 'Message pinned';
  return undefined;
}

export function renderMessage(m: TgMessage, v: MessageView): HTMLElement {
  const service = serviceText(m);
  if (service !== undefined) {
    const who = m.from && !m.forum_topic_created ? `${v.nameOf(m.from)}: ` : '';
    return h('div', { class: 'service', 'data-id': m.message_id }, h('span', {}, `${who}${service} · ${time(m.date)}`));
  }

  const bubble = h('div', { class: `bubble${v.note ? ' note' : ''}` });
  if (v.sender) bubble.append(h('div', { class: 'sender' }, v.sender));
  if (v.note) bubble.append(h('div', { class: 'note-label' }, 'Internal note · not sent to the customer'));

  const reply = m.reply_to_message;
  if (reply && reply.message_id !== v.rootId && serviceText(reply) === undefined) {
    bubble.append(
      h(
        'button',
        { class: 'quote', type: 'button', title: 'Show the message', onclick: () => v.onQuoteClick?.(reply.message_id) },
        h('b', {}, v.nameOf(reply.from)),
        h('span', {}, preview(reply)),
      ),
    );
  }
  const origin = m.forward_origin;
  if (origin) {
    const from = origin.type === 'user' ? v.nameOf(origin.sender_user) : origin.type === 'hidden_user' ? origin.sender_user_name : (origin.type === 'chat' ? origin.sender_chat : origin.chat).title ?? 'a chat';
    bubble.append(h('div', { class: 'forwarded' }, `Forwarded from ${from}`));
  }

  if (m.photo?.length) {
    const size = m.photo[m.photo.length - 1];
    const src = api.fileUrl(size.file_id);
    bubble.classList.add('has-photo');
    bubble.append(
      h('a', { class: 'photo', href: src, target: '_blank', title: 'Open the picture' }, h('img', { src, alt: m.caption ?? 'photo', width: size.width, height: size.height, loading: 'lazy' })),
    );
  } else if (m.document) {
    const doc = m.document as { file_name?: string; file_size?: number };
    bubble.append(h('div', { class: 'document' }, h('span', { class: 'doc-icon' }, icon('file')), h('span', {}, doc.file_name ?? 'File', h('small', {}, doc.file_size ? ` ${Math.ceil(doc.file_size / 1024)} KB` : ''))));
  } else {
    const kind = Object.keys(MEDIA_LABELS).find((k) => m[k] !== undefined);
    if (kind) bubble.append(h('div', { class: 'media-label' }, MEDIA_LABELS[kind]));
  }

  const text = m.text ?? m.caption;
  const entities = m.text !== undefined ? m.entities : m.caption_entities;
  const meta = h('span', { class: 'meta' }, m.edit_date ? 'edited ' : '', time(m.date));
  if (text !== undefined && text !== '') {
    const body = html('div', 'text', entitiesToHtml(text, entities));
    body.append(meta);
    bubble.append(body);
  } else {
    bubble.append(h('div', { class: 'text only-meta' }, meta));
  }

  const row = h('div', { class: `msg ${v.mine ? 'mine' : 'theirs'}`, 'data-id': m.message_id }, bubble);
  if (v.onReply) {
    row.append(h('button', { class: 'reply-action', type: 'button', title: 'Reply to this message', 'aria-label': 'Reply', onclick: () => v.onReply?.() }, icon('reply')));
  }

  const keyboard = m.reply_markup?.inline_keyboard;
  if (keyboard?.length) {
    const pad = h('div', { class: 'keyboard' });
    for (const buttons of keyboard) {
      const line = h('div', { class: 'keyboard-row' });
      for (const button of buttons) {
        const href = button.url ? safeHref(button.url) : undefined;
        if (href) {
          line.append(h('a', { class: 'kb-button', href, target: '_blank', rel: 'noopener noreferrer' }, button.text, h('span', { class: 'kb-link' }, '↗')));
        } else {
          line.append(h('button', { class: 'kb-button', type: 'button', disabled: !v.onButton, onclick: () => v.onButton?.(button) }, button.text));
        }
      }
      pad.append(line);
    }
    return h('div', { class: 'msg-group', 'data-id': m.message_id }, row, pad);
  }
  return row;
}
