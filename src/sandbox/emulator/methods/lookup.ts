import { badRequest, forbidden } from '../errors';
import { checkChatAccess } from '../membership';
import type { Params } from '../params';
import { shortUser, type ChatRecord, type TopicRecord } from '../state';
import type { TgUser } from '../types';
import type { MethodContext } from './context';

/** Resolves text_mention targets: known users and the bot itself. */
export function resolveUser({ world }: MethodContext, id: number): TgUser | undefined {
  const rec = world.users.get(id);
  return rec ? shortUser(rec.user) : id === world.botUser.id ? world.botShort() : undefined;
}

export function chatIdOf({ world }: MethodContext, p: Params, key = 'chat_id'): number {
  const raw = p.raw[key];
  if (raw === undefined || raw === null || raw === '') throw badRequest(`${key} is empty`);
  const id = p.int(key);
  if (id !== undefined) return id;
  const name = p.str(key);
  if (name?.startsWith('@')) {
    for (const rec of world.chats.values()) {
      if (rec.chat.username && `@${rec.chat.username}`.toLowerCase() === name.toLowerCase()) return rec.chat.id;
    }
  }
  throw badRequest('chat not found');
}

export function chatOf(ctx: MethodContext, p: Params, key = 'chat_id'): ChatRecord {
  const { world } = ctx;
  const id = chatIdOf(ctx, p, key);
  const rec = world.chats.get(id);
  if (rec) {
    checkChatAccess(world, rec.chat.id);
    return rec;
  }
  if (id === world.botUser.id) throw forbidden("the bot can't send messages to the bot");
  if (world.users.has(id)) throw forbidden("bot can't initiate conversation with a user");
  throw badRequest('chat not found');
}

/** A chat the bot may post into. */
export function writableChat(ctx: MethodContext, p: Params): ChatRecord {
  const rec = chatOf(ctx, p);
  if (rec.kind === 'private' && ctx.world.users.get(rec.chat.id)?.blocked) throw forbidden('bot was blocked by the user');
  return rec;
}

export function messageIdOf(p: Params, key = 'message_id'): number {
  const id = p.int(key);
  if (id === undefined) throw badRequest('message identifier is not specified');
  return id;
}

export function topicOf({ world }: MethodContext, chatId: number, threadId: number): TopicRecord {
  const topic = world.topic(chatId, threadId);
  if (!topic || topic.deleted) throw badRequest('message thread not found');
  return topic;
}
