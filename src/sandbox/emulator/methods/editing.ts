import { badRequest } from '../errors';
import { botCan } from '../membership';
import type { Params } from '../params';
import { hasMedia, unixNow, type ChatRecord, type StoredMessage } from '../state';
import type { InlineKeyboardMarkup, TgMessage } from '../types';
import { sameJson, type MethodContext, type MethodSpec } from './context';
import { chatOf, messageIdOf } from './lookup';
import { formatCaption, formatMessageText, markupOf } from './outgoing';

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

function editableMessage(ctx: MethodContext, p: Params): { rec: ChatRecord; stored: StoredMessage } {
  if (p.has('inline_message_id') && !p.has('chat_id')) throw badRequest('MESSAGE_ID_INVALID');
  const rec = chatOf(ctx, p);
  const stored = ctx.world.getStored(rec.chat.id, messageIdOf(p));
  if (!stored) throw badRequest('message to edit not found');
  if (stored.message.from?.id !== ctx.world.botUser.id) throw badRequest("message can't be edited");
  return { rec, stored };
}

function applyEdit(
  ctx: MethodContext,
  rec: ChatRecord,
  stored: StoredMessage,
  change: Partial<TgMessage>,
  markup: InlineKeyboardMarkup | undefined,
): TgMessage {
  const next: TgMessage = { ...stored.message, ...change, edit_date: unixNow() };
  for (const k of Object.keys(change)) if (change[k] === undefined) delete next[k];
  if (markup) next.reply_markup = markup;
  else delete next.reply_markup;
  return ctx.world.replaceMessage(rec.chat.id, next);
}

export const editingMethods: MethodSpec[] = [
  {
    name: 'editMessageText',
    handler: (ctx, p) => {
      const { text, entities } = formatMessageText(ctx, p);
      const { rec, stored } = editableMessage(ctx, p);
      if (stored.message.text === undefined) throw badRequest('there is no text in the message to edit');
      const markup = markupOf(p);
      if (stored.message.text === text && sameJson(stored.message.entities ?? [], entities) && sameJson(stored.message.reply_markup, markup)) {
        throw badRequest(NOT_MODIFIED);
      }
      return applyEdit(ctx, rec, stored, { text, entities: entities.length ? entities : undefined }, markup);
    },
  },
  {
    name: 'editMessageCaption',
    handler: (ctx, p) => {
      const caption = formatCaption(ctx, p);
      const { rec, stored } = editableMessage(ctx, p);
      if (!hasMedia(stored.message)) throw badRequest('there is no caption in the message to edit');
      const markup = markupOf(p);
      if (
        (stored.message.caption ?? '') === (caption.caption ?? '') &&
        sameJson(stored.message.caption_entities ?? [], caption.caption_entities ?? []) &&
        sameJson(stored.message.reply_markup, markup)
      ) {
        throw badRequest(NOT_MODIFIED);
      }
      return applyEdit(ctx, rec, stored, { caption: caption.caption, caption_entities: caption.caption_entities }, markup);
    },
  },
  {
    name: 'editMessageReplyMarkup',
    handler: (ctx, p) => {
      const { rec, stored } = editableMessage(ctx, p);
      const markup = markupOf(p);
      if (sameJson(stored.message.reply_markup, markup)) throw badRequest(NOT_MODIFIED);
      return applyEdit(ctx, rec, stored, {}, markup);
    },
  },
  {
    name: 'deleteMessage',
    handler: (ctx, p) => {
      const { world } = ctx;
      const rec = chatOf(ctx, p);
      const id = messageIdOf(p);
      const stored = world.getStored(rec.chat.id, id);
      if (!stored) throw badRequest('message to delete not found');
      if (rec.kind !== 'private') {
        const own = stored.message.from?.id === world.botUser.id;
        if (stored.message.forum_topic_created) throw badRequest("message can't be deleted");
        if (!own && !(rec.kind === 'support' && botCan(world, 'can_delete_messages'))) throw badRequest("message can't be deleted");
      }
      world.deleteMessage(rec.chat.id, id);
      return true;
    },
  },
];
