import type { EmulatorCore } from './core';
import { chatMemberOf, enqueueMyChatMember } from './membership';
import { shortUser, unixNow, World, type UserRecord } from './state';
import { detectEntities } from './text-format';
import type { MessageEntity, TgMessage, TgUser } from './types';

export interface NewUser {
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  id?: number;
}

export interface UserPhotoOptions {
  caption?: string;
  caption_entities?: MessageEntity[];
  media_group_id?: string;
  bytes?: Buffer;
  width?: number;
  height?: number;
}

export interface UserDocumentOptions {
  file_name?: string;
  mime_type?: string;
  caption?: string;
  media_group_id?: string;
}

export type TextChange = { text?: string; caption?: string };

/** The people around the bot: creating customers and agents, and what customers do in their private chats. */
export class Actors {
  private nextUserId = 700_000_001;
  private callbackCounter = 0;

  constructor(private readonly core: EmulatorCore) {}

  createUser(p: NewUser): TgUser {
    const user = this.newUser(p);
    this.core.world.users.set(user.id, { user, role: 'customer', admin: false, blocked: false });
    this.core.world.addChat(World.privateChatOf(user), 'private');
    this.core.changed();
    return { ...user };
  }

  createAgent(p: { first_name: string; last_name?: string; username?: string; admin?: boolean }): TgUser {
    const user = this.newUser(p);
    this.core.world.users.set(user.id, { user, role: 'agent', admin: p.admin ?? false, blocked: false });
    this.core.changed();
    return { ...user };
  }

  userSendText(userId: number, text: string, opts: { entities?: MessageEntity[]; reply_to_message_id?: number }): TgMessage {
    const entities = opts.entities ?? detectEntities(text);
    const content: Partial<TgMessage> = entities.length ? { text, entities } : { text };
    return this.userStore(userId, content, { replyToId: opts.reply_to_message_id });
  }

  userSendPhoto(userId: number, opts: UserPhotoOptions): TgMessage {
    const photo = this.core.world.addPhoto(opts.bytes, opts.width, opts.height);
    const content: Partial<TgMessage> = { photo, ...captionContent(opts.caption, opts.caption_entities) };
    return this.userStore(userId, content, { mediaGroupId: opts.media_group_id });
  }

  userSendDocument(userId: number, opts: UserDocumentOptions): TgMessage {
    const document = this.core.world.addFile('document', {
      file_name: opts.file_name ?? 'document.pdf',
      mime_type: opts.mime_type ?? 'application/pdf',
    });
    return this.userStore(userId, { document, ...captionContent(opts.caption) }, { mediaGroupId: opts.media_group_id });
  }

  userSend(userId: number, content: Partial<TgMessage>): TgMessage {
    const c = structuredClone(content);
    const mediaGroupId = c.media_group_id;
    delete c.media_group_id;
    for (const k of ['message_id', 'chat', 'from', 'date'] as const) delete c[k];
    this.core.world.adoptFiles(c);
    // `photo: true` (or sizes without file ids) asks for a generated photo.
    const photo: unknown = c.photo;
    if (photo === true || (Array.isArray(photo) && photo.some((s: { file_id?: unknown }) => typeof s?.file_id !== 'string'))) {
      c.photo = this.core.world.addPhoto();
    }
    if (typeof c.text === 'string' && !c.entities) {
      const e = detectEntities(c.text);
      if (e.length) c.entities = e;
    }
    return this.userStore(userId, c, { mediaGroupId });
  }

  userEdit(userId: number, messageId: number, change: TextChange): TgMessage {
    this.customer(userId);
    return editAsUser(this.core, userId, userId, messageId, change);
  }

  /** A button pressed: a customer's in their chat, an agent's in the support group (`inChat` for another one). */
  userClick(userId: number, messageId: number, data: string, inChat?: number): string {
    const { world } = this.core;
    const rec = world.users.get(userId);
    if (!rec) throw new Error(`unknown user ${userId}`);
    const chatId = inChat ?? (rec.role === 'agent' ? this.core.supportChatId : userId);
    const stored = world.getStored(chatId, messageId);
    const buttons = stored?.message.reply_markup?.inline_keyboard.flat() ?? [];
    if (!stored || !buttons.some((b) => b.callback_data === data)) {
      throw new Error(`message ${messageId} in chat ${chatId} has no button with callback_data "${data}"`);
    }
    const id = `${BigInt(world.botUser.id) * 1000n + BigInt(++this.callbackCounter)}${Math.floor(this.core.random() * 1e6)}`;
    world.callbacks.set(id, { id, createdAt: Date.now(), answered: false });
    this.core.enqueue({
      callback_query: {
        id,
        from: shortUser(rec.user),
        message: structuredClone(stored.message),
        chat_instance: chatInstance(chatId),
        data,
      },
    });
    return id;
  }

  userBlockBot(userId: number): void {
    const rec = this.customer(userId);
    if (rec.blocked) return;
    rec.blocked = true;
    this.enqueueMemberChange(rec, 'member', 'kicked');
  }

  userUnblockBot(userId: number): void {
    const rec = this.customer(userId);
    if (!rec.blocked) return;
    rec.blocked = false;
    this.enqueueMemberChange(rec, 'kicked', 'member');
  }

  private newUser(p: NewUser): TgUser {
    const { world } = this.core;
    let id = 'id' in p && p.id !== undefined ? p.id : this.nextUserId++;
    while (p.id === undefined && (world.users.has(id) || world.chats.has(id))) id = this.nextUserId++;
    if (world.users.has(id) || id === world.botUser.id) throw new Error(`user ${id} already exists`);
    const user: TgUser = { id, is_bot: false, first_name: p.first_name };
    if (p.last_name) user.last_name = p.last_name;
    if (p.username) user.username = p.username;
    if (p.language_code) user.language_code = p.language_code;
    return user;
  }

  private customer(userId: number): UserRecord {
    const rec = this.core.world.users.get(userId);
    if (!rec || rec.role !== 'customer') throw new Error(`unknown customer ${userId}`);
    return rec;
  }

  private userStore(userId: number, content: Partial<TgMessage>, o: { replyToId?: number; mediaGroupId?: string }): TgMessage {
    const rec = this.customer(userId);
    // Writing to a blocked bot unblocks it first, as Telegram clients do ("Restart bot").
    if (rec.blocked) this.userUnblockBot(userId);
    if (o.replyToId !== undefined && !this.core.world.getStored(userId, o.replyToId)) {
      throw new Error('message to be replied not found');
    }
    const message = this.core.world.storeMessage(userId, {
      from: shortUser(rec.user),
      content,
      replyToId: o.replyToId,
      mediaGroupId: o.mediaGroupId,
    });
    this.core.enqueue({ message: structuredClone(message) });
    return structuredClone(message);
  }

  private enqueueMemberChange(rec: UserRecord, from: 'member' | 'kicked', to: 'member' | 'kicked'): void {
    const bot = this.core.world.botShort();
    enqueueMyChatMember(this.core, World.privateChatOf(rec.user), shortUser(rec.user), chatMemberOf(bot, from), chatMemberOf(bot, to));
  }
}

export function captionContent(caption?: string, entities?: MessageEntity[]): Partial<TgMessage> {
  if (caption === undefined || caption === '') return {};
  const e = entities ?? detectEntities(caption);
  return e.length ? { caption, caption_entities: e } : { caption };
}

/** A person's edit of their own message: entities are detected again, as a client does. */
export function editAsUser(core: EmulatorCore, userId: number, chatId: number, messageId: number, change: TextChange): TgMessage {
  const stored = core.world.getStored(chatId, messageId);
  if (!stored || stored.message.from?.id !== userId) throw new Error(`message ${messageId} of ${userId} not found in chat ${chatId}`);
  const next: TgMessage = { ...stored.message, edit_date: unixNow() };
  if (change.text !== undefined) {
    if (next.text === undefined) throw new Error('message has no text');
    next.text = change.text;
    const e = detectEntities(change.text);
    if (e.length) next.entities = e;
    else delete next.entities;
  }
  if (change.caption !== undefined) {
    next.caption = change.caption;
    const e = detectEntities(change.caption);
    if (e.length) next.caption_entities = e;
    else delete next.caption_entities;
  }
  const message = core.world.replaceMessage(chatId, next);
  core.enqueueSeen(chatId, { edited_message: structuredClone(message) });
  return structuredClone(message);
}

/** A stable pseudo-random chat_instance per chat, like Telegram's opaque identifier. */
function chatInstance(chatId: number): string {
  return BigInt.asIntN(64, BigInt(chatId) * 6364136223846793005n + 1442695040888963407n).toString();
}
