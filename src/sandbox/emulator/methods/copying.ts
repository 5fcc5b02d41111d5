import { badRequest } from '../errors';
import type { Params } from '../params';
import { contentOf, hasMedia, isServiceMessage, type StoredMessage } from '../state';
import type { TgMessage } from '../types';
import type { MethodContext, MethodSpec } from './context';
import { chatOf, messageIdOf, writableChat } from './lookup';
import { formatCaption, newMediaGroupId, sendFromBot, threadFor } from './outgoing';

function messageIdsOf(p: Params): number[] {
  const ids = p.json('message_ids');
  if (ids === undefined || ids === null || ids === '' || (Array.isArray(ids) && ids.length === 0)) {
    throw badRequest('message identifiers are not specified');
  }
  if (!Array.isArray(ids)) throw badRequest("can't parse message identifiers JSON object");
  if (ids.length > 100) throw badRequest('too many message identifiers specified');
  const out: number[] = [];
  for (const id of ids) {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw badRequest('message identifier must be a Number');
    if (id <= 0) throw badRequest('invalid message identifier specified');
    if (out.length > 0 && id <= out[out.length - 1]) throw badRequest('message identifiers must be in a strictly increasing order');
    out.push(id);
  }
  return out;
}

function copyOrForwardMany(ctx: MethodContext, p: Params, forward: boolean): Array<{ message_id: number }> {
  const { world } = ctx;
  const ids = messageIdsOf(p);
  const from = chatOf(ctx, p, 'from_chat_id');
  const sources = ids
    .map((id) => world.getStored(from.chat.id, id))
    .filter((s): s is StoredMessage => s !== undefined && !isServiceMessage(s.message))
    .filter((s) => (forward ? !s.message.has_protected_content : !isUncopyable(s.message)));
  if (sources.length === 0) throw badRequest("messages can't be forwarded");
  const rec = writableChat(ctx, p);
  const thread = threadFor(ctx, rec, p);
  // Album grouping is kept: members copied together share a fresh media_group_id.
  const groupCounts = new Map<string, number>();
  for (const s of sources) if (s.message.media_group_id) groupCounts.set(s.message.media_group_id, (groupCounts.get(s.message.media_group_id) ?? 0) + 1);
  const newGroups = new Map<string, string>();
  return sources.map((s) => {
    const oldGroup = s.message.media_group_id;
    let groupId: string | undefined;
    if (oldGroup && (groupCounts.get(oldGroup) ?? 0) > 1) {
      groupId = newGroups.get(oldGroup) ?? newMediaGroupId(ctx);
      newGroups.set(oldGroup, groupId);
    }
    const content = contentOf(s.message);
    if (!forward && p.bool('remove_caption')) {
      delete content.caption;
      delete content.caption_entities;
    }
    const msg = world.storeMessage(rec.chat.id, {
      from: world.botShort(),
      content,
      extra: forward ? forwardFields(s.message) : undefined,
      threadId: thread,
      protect: p.bool('protect_content'),
      mediaGroupId: groupId,
    });
    return { message_id: msg.message_id };
  });
}

export const copyingMethods: MethodSpec[] = [
  {
    name: 'copyMessage',
    send: true,
    handler: (ctx, p) => {
      const from = chatOf(ctx, p, 'from_chat_id');
      const src = ctx.world.getStored(from.chat.id, messageIdOf(p));
      if (!src) throw badRequest('message to copy not found');
      if (isServiceMessage(src.message) || isUncopyable(src.message)) throw badRequest("the message can't be copied");
      const content = contentOf(src.message);
      if (hasMedia(src.message) && p.raw.caption !== undefined) {
        delete content.caption;
        delete content.caption_entities;
        Object.assign(content, formatCaption(ctx, p));
      }
      const rec = writableChat(ctx, p);
      const msg = sendFromBot(ctx, rec, p, content);
      return { message_id: msg.message_id };
    },
  },
  {
    name: 'forwardMessage',
    send: true,
    handler: (ctx, p) => {
      const { world } = ctx;
      const from = chatOf(ctx, p, 'from_chat_id');
      const src = world.getStored(from.chat.id, messageIdOf(p));
      if (!src) throw badRequest('message to forward not found');
      if (isServiceMessage(src.message)) throw badRequest("the message can't be forwarded");
      if (src.message.has_protected_content) throw badRequest("message has protected content and can't be forwarded");
      const rec = writableChat(ctx, p);
      const thread = threadFor(ctx, rec, p);
      return world.storeMessage(rec.chat.id, {
        from: world.botShort(),
        content: contentOf(src.message),
        extra: forwardFields(src.message),
        threadId: thread,
        protect: p.bool('protect_content'),
      });
    },
  },
  { name: 'copyMessages', send: true, handler: (ctx, p) => copyOrForwardMany(ctx, p, false) },
  { name: 'forwardMessages', send: true, handler: (ctx, p) => copyOrForwardMany(ctx, p, true) },
];

function forwardFields(src: TgMessage): Partial<TgMessage> {
  if (src.forward_origin) {
    return { forward_origin: structuredClone(src.forward_origin), forward_from: src.forward_from, forward_date: src.forward_date };
  }
  const sender = src.from ?? { id: 0, is_bot: false, first_name: 'Deleted Account' };
  return {
    forward_origin: { type: 'user', date: src.date, sender_user: structuredClone(sender) },
    forward_from: structuredClone(sender),
    forward_date: src.date,
  };
}

/**
 * What Telegram refuses to copy: "paid media messages, giveaway messages, giveaway winners messages,
 * and invoice messages", and a quiz poll whose correct option the bot does not know.
 */
function isUncopyable(m: TgMessage): boolean {
  const poll = m.poll as { type?: string; correct_option_id?: number } | undefined;
  return (
    m.paid_media !== undefined ||
    m.invoice !== undefined ||
    m.giveaway !== undefined ||
    m.giveaway_winners !== undefined ||
    (poll?.type === 'quiz' && poll.correct_option_id === undefined)
  );
}
