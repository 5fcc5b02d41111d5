import { badRequest } from '../errors';
import { Params } from '../params';
import type { FileKind } from '../state';
import type { MethodSpec } from './context';
import { writableChat } from './lookup';
import { lookupFile, mediaContent } from './media';
import { formatCaption, formatMessageText, newMediaGroupId, replyFor, sendFromBot, textContent, threadFor } from './outgoing';

/** A send* method for one kind of media, read from the request field `field`. */
function sendMedia(name: string, kind: FileKind, field: string, captioned = true): MethodSpec {
  return {
    name,
    send: true,
    handler: (ctx, p) => {
      const source = p.files.get(field) ? { upload: p.files.get(field) } : lookupFile(ctx, p.raw[field], p.files, kind);
      if (!source.upload && !source.record && !source.url) throw badRequest(`there is no ${field} in the request`);
      const caption = captioned ? formatCaption(ctx, p) : {};
      const rec = writableChat(ctx, p);
      const reply = replyFor(ctx, rec, p);
      const thread = threadFor(ctx, rec, p, reply);
      const content = { ...mediaContent(ctx, kind, source, p), ...caption };
      if (p.bool('has_spoiler')) content.has_media_spoiler = true;
      return sendFromBot(ctx, rec, p, content, { reply: reply ?? null, thread: thread ?? null });
    },
  };
}

export const sendingMethods: MethodSpec[] = [
  {
    name: 'sendMessage',
    send: true,
    handler: (ctx, p) => {
      const { text, entities } = formatMessageText(ctx, p);
      const rec = writableChat(ctx, p);
      return sendFromBot(ctx, rec, p, textContent(text, entities));
    },
  },
  sendMedia('sendPhoto', 'photo', 'photo'),
  sendMedia('sendDocument', 'document', 'document'),
  sendMedia('sendVideo', 'video', 'video'),
  sendMedia('sendVoice', 'voice', 'voice'),
  sendMedia('sendAudio', 'audio', 'audio'),
  sendMedia('sendAnimation', 'animation', 'animation'),
  sendMedia('sendVideoNote', 'video_note', 'video_note', false),
  sendMedia('sendSticker', 'sticker', 'sticker', false),
  {
    name: 'sendMediaGroup',
    send: true,
    handler: (ctx, p) => {
      const media = p.json('media');
      if (media === undefined || media === null || (Array.isArray(media) && media.length === 0)) {
        throw badRequest('there are no messages to send');
      }
      if (!Array.isArray(media)) throw badRequest("can't parse media JSON object");
      if (media.length > 10) throw badRequest('too many messages to send as an album');
      const items = media.map((m) => {
        if (typeof m !== 'object' || m === null) throw badRequest("can't parse InputMedia: Object expected");
        const item = new Params(m as Record<string, unknown>, p.files);
        const type = item.str('type') ?? '';
        if (type === 'animation') throw badRequest(`can't parse InputMedia: type "animation" can't be used in sendMediaGroup`);
        if (!['photo', 'video', 'document', 'audio'].includes(type)) {
          throw badRequest(`can't parse InputMedia: type "${type}" is unsupported`);
        }
        return { type: type as FileKind, item };
      });
      const kinds = new Set(items.map((i) => i.type));
      if (kinds.has('document') && kinds.size > 1) throw badRequest("document can't be mixed with other media types");
      if (kinds.has('audio') && kinds.size > 1) throw badRequest("audio can't be mixed with other media types");
      const contents = items.map(({ type, item }) => {
        const source = lookupFile(ctx, item.raw.media, p.files, type);
        if (!source.upload && !source.record && !source.url) throw badRequest("can't parse InputMedia: media not found");
        return { type, item, source, caption: formatCaption(ctx, item) };
      });
      const rec = writableChat(ctx, p);
      const reply = replyFor(ctx, rec, p);
      const thread = threadFor(ctx, rec, p, reply);
      const groupId = contents.length > 1 ? newMediaGroupId(ctx) : undefined;
      return contents.map(({ type, item, source, caption }) =>
        sendFromBot(ctx, rec, p, { ...mediaContent(ctx, type, source, item), ...caption }, {
          markup: false,
          mediaGroupId: groupId,
          reply: reply ?? null,
          thread: thread ?? null,
        }),
      );
    },
  },
];
