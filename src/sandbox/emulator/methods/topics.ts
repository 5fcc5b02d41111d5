import { badRequest } from '../errors';
import { botCan } from '../membership';
import type { Params } from '../params';
import { TOPIC_COLORS, topicKey, type ChatRecord, type TopicRecord, type World } from '../state';
import type { TgMessage } from '../types';
import type { MethodContext, MethodSpec } from './context';
import { chatOf, topicOf } from './lookup';

function forumOf(ctx: MethodContext, p: Params): ChatRecord {
  const rec = chatOf(ctx, p);
  if (!rec.chat.is_forum) throw badRequest('the chat is not a forum');
  return rec;
}

function topicServiceMessage(ctx: MethodContext, rec: ChatRecord, topic: TopicRecord, content: Partial<TgMessage>): void {
  const msg = ctx.world.storeMessage(rec.chat.id, { from: ctx.world.botShort(), content, threadId: topic.threadId });
  ctx.enqueue({ message: structuredClone(msg) });
}

function threadIdOf(p: Params): number {
  const id = p.int('message_thread_id');
  if (id === undefined || id <= 0) throw badRequest('message thread not found');
  return id;
}

function manageableTopic(ctx: MethodContext, p: Params, denied: string): { rec: ChatRecord; topic: TopicRecord } {
  const rec = forumOf(ctx, p);
  const topic = topicOf(ctx, rec.chat.id, threadIdOf(p));
  if (!botCan(ctx.world, 'can_manage_topics') && topic.creatorId !== ctx.world.botUser.id) throw badRequest(denied);
  return { rec, topic };
}

function openClose(name: string, close: boolean): MethodSpec {
  return {
    name,
    handler: (ctx, p) => {
      const { rec, topic } = manageableTopic(ctx, p, 'not enough rights to close or open the topic');
      if (topic.closed === close) throw badRequest('TOPIC_NOT_MODIFIED');
      topic.closed = close;
      topicServiceMessage(ctx, rec, topic, close ? { forum_topic_closed: {} } : { forum_topic_reopened: {} });
      return true;
    },
  };
}

export const topicMethods: MethodSpec[] = [
  {
    name: 'createForumTopic',
    send: true,
    handler: (ctx, p) => {
      const { world } = ctx;
      const rec = forumOf(ctx, p);
      if (!botCan(world, 'can_manage_topics')) throw badRequest('not enough rights to create a topic');
      const name = cleanTopicName(p.str('name') ?? '');
      if (name === '') throw badRequest('name must be non-empty');
      let color = p.int('icon_color') ?? 0;
      if (color === 0) color = TOPIC_COLORS[Math.floor(ctx.random() * TOPIC_COLORS.length) % TOPIC_COLORS.length];
      else if (!(TOPIC_COLORS as readonly number[]).includes(color)) throw badRequest('invalid icon color specified');
      const emoji = p.str('icon_custom_emoji_id');
      const iconCustomEmojiId = emoji && /^\d+$/.test(emoji) ? emoji : undefined;
      const threadId = rec.nextMessageId;
      const topic: TopicRecord = {
        chatId: rec.chat.id,
        threadId,
        name,
        iconColor: color,
        iconCustomEmojiId,
        closed: false,
        deleted: false,
        createdSeq: 0,
        creatorId: world.botUser.id,
      };
      world.topics.set(topicKey(rec.chat.id, threadId), topic);
      const created: TgMessage['forum_topic_created'] = { name, icon_color: color };
      if (iconCustomEmojiId && created) created.icon_custom_emoji_id = iconCustomEmojiId;
      topicServiceMessage(ctx, rec, topic, { forum_topic_created: created });
      topic.createdSeq = world.chats.get(rec.chat.id)?.messages.get(threadId)?.seq ?? world.nextSeq();
      const result: Record<string, unknown> = { message_thread_id: threadId, name, icon_color: color };
      if (iconCustomEmojiId) result.icon_custom_emoji_id = iconCustomEmojiId;
      return result;
    },
  },
  {
    name: 'editForumTopic',
    handler: (ctx, p) => {
      const { rec, topic } = manageableTopic(ctx, p, 'not enough rights to edit the topic');
      const name = p.has('name') ? cleanTopicName(p.str('name') ?? '') : '';
      const emoji = p.raw.icon_custom_emoji_id === undefined ? undefined : (p.str('icon_custom_emoji_id') ?? '');
      const edited: { name?: string; icon_custom_emoji_id?: string } = {};
      if (name !== '' && name !== topic.name) edited.name = name;
      if (emoji !== undefined && emoji !== (topic.iconCustomEmojiId ?? '')) edited.icon_custom_emoji_id = emoji;
      if (Object.keys(edited).length === 0) throw badRequest('TOPIC_NOT_MODIFIED');
      if (edited.name !== undefined) topic.name = edited.name;
      if (edited.icon_custom_emoji_id !== undefined) topic.iconCustomEmojiId = edited.icon_custom_emoji_id || undefined;
      topicServiceMessage(ctx, rec, topic, { forum_topic_edited: edited });
      return true;
    },
  },
  openClose('closeForumTopic', true),
  openClose('reopenForumTopic', false),
  {
    name: 'deleteForumTopic',
    handler: (ctx, p) => {
      const rec = forumOf(ctx, p);
      const topic = topicOf(ctx, rec.chat.id, threadIdOf(p));
      if (!botCan(ctx.world, 'can_delete_messages')) throw badRequest('not enough rights to delete the topic');
      deleteTopic(ctx.world, rec, topic);
      return true;
    },
  },
  {
    name: 'unpinAllForumTopicMessages',
    handler: (ctx, p) => {
      const rec = forumOf(ctx, p);
      topicOf(ctx, rec.chat.id, threadIdOf(p));
      if (!botCan(ctx.world, 'can_pin_messages')) throw badRequest('not enough rights to manage pinned messages in the chat');
      return true;
    },
  },
  { name: 'getForumTopicIconStickers', handler: () => TOPIC_ICON_STICKERS },
];

/** A part of Telegram's set of topic icons (its custom emoji ids are this emulator's own). */
export const TOPIC_ICON_STICKERS = (
  [
    ['📰', '5434144690511290129'],
    ['💡', '5312536423851630001'],
    ['⚡️', '5312016608254762256'],
    ['❗️', '5379748062124056162'],
    ['❓', '5377316857231450742'],
    ['💬', '5417915203100613993'],
    ['🔥', '5312241539987020022'],
    ['✅', '5237699328843200968'],
    ['☑️', '5238156910363950406'],
    ['📝', '5373251851074415873'],
  ] as const
).map(([emoji, id]) => ({
  file_id: `topic-icon-${id}`,
  file_unique_id: `topic-icon-${id}`,
  type: 'custom_emoji',
  width: 512,
  height: 512,
  is_animated: false,
  is_video: false,
  emoji,
  set_name: 'Topics',
  custom_emoji_id: id,
}));

export function deleteTopic(world: World, rec: ChatRecord, topic: TopicRecord): void {
  topic.deleted = true;
  for (const id of rec.order) {
    const s = rec.messages.get(id);
    if (s && !s.deleted && (s.message.message_thread_id === topic.threadId || id === topic.threadId)) s.deleted = true;
  }
  world.deleteMessage(rec.chat.id, topic.threadId);
}

/** TDLib's clean_name: whitespace runs (newlines, NBSP) collapse to one space, trim, cut to 128 code points. */
export function cleanTopicName(raw: string): string {
  const collapsed = raw.replace(/[\s\u00a0]+/g, ' ').trim();
  return [...collapsed].slice(0, 128).join('').trim();
}
