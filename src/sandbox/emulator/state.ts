import { randomBytes } from 'node:crypto';
import type { BotGroupStatus, BotRights, InlineKeyboardMarkup, PhotoSize, TgChat, TgMessage, TgUser } from './types';

export interface StoredMessage {
  message: TgMessage;
  seq: number;
  deleted: boolean;
  reactions?: unknown[];
}

export interface ChatRecord {
  chat: TgChat;
  kind: 'private' | 'support' | 'group';
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  order: number[];
}

export interface TopicRecord {
  /** The forum the topic is in: thread ids repeat across groups. */
  chatId: number;
  threadId: number;
  name: string;
  iconColor: number;
  iconCustomEmojiId?: string;
  closed: boolean;
  deleted: boolean;
  createdSeq: number;
  creatorId: number;
}

export interface UserRecord {
  user: TgUser;
  role: 'customer' | 'agent';
  admin: boolean;
  blocked: boolean;
}

export type FileKind = 'photo' | 'document' | 'video' | 'voice' | 'audio' | 'animation' | 'sticker' | 'video_note';

export interface FileRecord {
  fileId: string;
  uniqueId: string;
  kind: FileKind;
  size: number;
  bytes?: Buffer;
  filePath?: string;
  /** What a message shows for this file: a PhotoSize[] for photos, the media object otherwise. */
  descriptor: Record<string, unknown> | PhotoSize[];
}

export interface CallbackRecord {
  id: string;
  createdAt: number;
  answered: boolean;
  answer?: Record<string, unknown>;
}

export const TOPIC_COLORS = [0x6fb9f0, 0xffd67e, 0xcb86db, 0x8eee98, 0xff93b2, 0xfb6f5f] as const;

/** Keys of a Message that hold content (anything else that is not metadata makes it a service message). */
export const CONTENT_KEYS = [
  'text', 'entities', 'link_preview_options', 'animation', 'audio', 'document', 'paid_media', 'photo', 'sticker',
  'story', 'video', 'video_note', 'voice', 'caption', 'caption_entities', 'show_caption_above_media',
  'has_media_spoiler', 'checklist', 'contact', 'dice', 'game', 'poll', 'venue', 'location',
] as const;
const MEDIA_KEYS = ['animation', 'audio', 'document', 'photo', 'sticker', 'video', 'video_note', 'voice'];

// TBA's field order; unknown fields go before reply_markup.
const KEY_ORDER = [
  'message_id', 'from', 'sender_chat', 'chat', 'date', 'edit_date', 'message_thread_id', 'forward_origin',
  'forward_from', 'forward_from_chat', 'forward_from_message_id', 'forward_signature', 'forward_sender_name',
  'forward_date', 'is_automatic_forward', 'reply_to_message', 'external_reply', 'quote', 'via_bot',
  'media_group_id', 'author_signature', ...CONTENT_KEYS,
];
const TAIL_KEYS = ['reply_markup', 'has_protected_content', 'is_topic_message'];

export function orderMessage(m: TgMessage): TgMessage {
  const out: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (m[k] !== undefined) out[k] = m[k];
  for (const k of Object.keys(m)) if (!(k in out) && !TAIL_KEYS.includes(k) && m[k] !== undefined) out[k] = m[k];
  for (const k of TAIL_KEYS) if (m[k] !== undefined) out[k] = m[k];
  return out as TgMessage;
}

export const isServiceMessage = (m: TgMessage): boolean => !CONTENT_KEYS.some((k) => m[k] !== undefined);
export const hasMedia = (m: TgMessage): boolean => MEDIA_KEYS.some((k) => m[k] !== undefined);

export function contentOf(m: TgMessage): Partial<TgMessage> {
  const out: Record<string, unknown> = {};
  for (const k of CONTENT_KEYS) if (m[k] !== undefined) out[k] = structuredClone(m[k]);
  return out as Partial<TgMessage>;
}

export const unixNow = (): number => Math.floor(Date.now() / 1000);

export interface StoreOptions {
  from?: TgUser;
  content: Partial<TgMessage>;
  threadId?: number;
  replyToId?: number;
  replyMarkup?: InlineKeyboardMarkup;
  protect?: boolean;
  mediaGroupId?: string;
  extra?: Partial<TgMessage>;
}

/**
 * All chats, messages, topics, users and files. One monotonic `seq` counter orders every event so tests
 * can compare "this call ended before that message was stored".
 */
export class World {
  private seqCounter = 0;
  private fileCounter = 0;
  readonly chats = new Map<number, ChatRecord>();
  readonly users = new Map<number, UserRecord>();
  /** Keyed by `topicKey(chatId, threadId)`. */
  readonly topics = new Map<string, TopicRecord>();
  readonly files = new Map<string, FileRecord>();
  readonly callbacks = new Map<string, CallbackRecord>();
  readonly commands = new Map<string, unknown[]>();
  readonly menuButtons = new Map<string, unknown>();
  /** The bot's membership in the support group; botRights take effect only while it is 'administrator'. */
  botStatus: BotGroupStatus = 'administrator';

  constructor(
    readonly botUser: TgUser,
    readonly supportChatId: number,
    readonly botRights: Required<BotRights>,
    private readonly hooks: { onMessage: (m: TgMessage, chatId: number) => void; onChange: () => void },
  ) {}

  nextSeq(): number {
    return ++this.seqCounter;
  }

  botShort(): TgUser {
    return shortUser(this.botUser);
  }

  addChat(chat: TgChat, kind: ChatRecord['kind']): ChatRecord {
    // In a supergroup id 1 is the General topic, so real messages start at 2.
    const rec: ChatRecord = { chat, kind, nextMessageId: chat.type === 'private' ? 1 : 2, messages: new Map(), order: [] };
    this.chats.set(chat.id, rec);
    return rec;
  }

  /** A topic of a forum chat (deleted ones too); undefined when there is none. */
  topic(chatId: number, threadId: number): TopicRecord | undefined {
    return this.topics.get(topicKey(chatId, threadId));
  }

  get supportChat(): ChatRecord {
    const rec = this.chats.get(this.supportChatId);
    if (!rec) throw new Error('support chat missing');
    return rec;
  }

  getStored(chatId: number, messageId: number): StoredMessage | undefined {
    const s = this.chats.get(chatId)?.messages.get(messageId);
    return s && !s.deleted ? s : undefined;
  }

  storeMessage(chatId: number, o: StoreOptions): TgMessage {
    const rec = this.chats.get(chatId);
    if (!rec) throw new Error(`chat ${chatId} does not exist`);
    const id = rec.nextMessageId++;
    const m: TgMessage = { message_id: id, chat: rec.chat, date: unixNow() };
    if (o.from) m.from = o.from;
    const inTopic = o.threadId !== undefined && o.threadId > 0 && rec.chat.is_forum === true;
    if (inTopic) m.message_thread_id = o.threadId;
    // Messages in a topic implicitly reply to its creation message unless they reply to something else.
    const replyId = o.replyToId ?? (inTopic && o.threadId !== id ? o.threadId : undefined);
    if (replyId !== undefined) {
      const target = this.getStored(chatId, replyId);
      if (target) m.reply_to_message = snapshot(target.message);
    }
    if (o.mediaGroupId) m.media_group_id = o.mediaGroupId;
    Object.assign(m, o.content, o.extra);
    if (o.replyMarkup) m.reply_markup = o.replyMarkup;
    if (o.protect) m.has_protected_content = true;
    if (inTopic) m.is_topic_message = true;
    const message = orderMessage(m);
    rec.messages.set(id, { message, seq: this.nextSeq(), deleted: false });
    rec.order.push(id);
    this.hooks.onMessage(structuredClone(message), chatId);
    this.hooks.onChange();
    return message;
  }

  /** Replaces a stored message object in place (edits keep message_id, seq and position). */
  replaceMessage(chatId: number, message: TgMessage): TgMessage {
    const stored = this.getStored(chatId, message.message_id);
    if (!stored) throw new Error('message missing');
    stored.message = orderMessage(message);
    this.hooks.onChange();
    return stored.message;
  }

  deleteMessage(chatId: number, messageId: number): void {
    const s = this.chats.get(chatId)?.messages.get(messageId);
    if (s) s.deleted = true;
    this.hooks.onChange();
  }

  newFileIds(kind: FileKind): { fileId: string; uniqueId: string } {
    const prefix: Record<FileKind, string> = {
      photo: 'AgACAgIAAxkBAA', document: 'BQACAgIAAxkBAA', video: 'BAACAgIAAxkBAA', voice: 'AwACAgIAAxkBAA',
      audio: 'CQACAgIAAxkBAA', animation: 'CgACAgIAAxkBAA', sticker: 'CAACAgIAAxkBAA', video_note: 'DQACAgIAAxkBAA',
    };
    const n = ++this.fileCounter;
    return {
      fileId: `${prefix[kind]}${n.toString(36)}_${randomBytes(18).toString('base64url')}`,
      uniqueId: `AQAD${n.toString(36)}${randomBytes(6).toString('base64url')}`,
    };
  }

  /** Registers a non-photo file and returns its message descriptor. */
  addFile(kind: Exclude<FileKind, 'photo'>, meta: Record<string, unknown>, bytes?: Buffer): Record<string, unknown> {
    const { fileId, uniqueId } = this.newFileIds(kind);
    const size = bytes?.length ?? (typeof meta.file_size === 'number' ? meta.file_size : 1024 + (this.fileCounter % 97) * 37);
    const descriptor: Record<string, unknown> = { ...meta, file_id: fileId, file_unique_id: uniqueId, file_size: size };
    this.files.set(fileId, { fileId, uniqueId, kind, size, bytes, descriptor });
    return descriptor;
  }

  /** Registers a photo as two sizes (a thumbnail and the full picture), as Telegram stores photos. */
  addPhoto(bytes?: Buffer, width = 1280, height = 960): PhotoSize[] {
    const fullSize = bytes?.length ?? 48_213 + this.fileCounter;
    const sizes: PhotoSize[] = [];
    const group: PhotoSize[] = sizes;
    for (const [w, size] of [
      [320, Math.max(1, Math.round(fullSize / 8))],
      [width, fullSize],
    ] as const) {
      const { fileId, uniqueId } = this.newFileIds('photo');
      const h = Math.round((height * w) / width);
      const ps: PhotoSize = { file_id: fileId, file_unique_id: uniqueId, file_size: size, width: w, height: h };
      sizes.push(ps);
      this.files.set(fileId, { fileId, uniqueId, kind: 'photo', size, bytes: w === width ? bytes : undefined, descriptor: group });
    }
    return sizes;
  }

  /** Makes sure file ids inside user-supplied content resolve for getFile/re-sending. */
  adoptFiles(content: Partial<TgMessage>): void {
    for (const kind of ['animation', 'audio', 'document', 'sticker', 'video', 'video_note', 'voice'] as const) {
      const obj = content[kind];
      if (!obj || typeof obj !== 'object') continue;
      const media = obj as Record<string, unknown>;
      if (typeof media.file_id === 'string' && this.files.has(media.file_id)) continue;
      const { fileId, uniqueId } = this.newFileIds(kind);
      const id = typeof media.file_id === 'string' ? media.file_id : fileId;
      const uid = typeof media.file_unique_id === 'string' ? media.file_unique_id : uniqueId;
      const size = typeof media.file_size === 'number' ? media.file_size : 2048;
      Object.assign(media, { file_id: id, file_unique_id: uid, file_size: size });
      this.files.set(id, { fileId: id, uniqueId: uid, kind, size, descriptor: media });
    }
  }

  /** The chat object as it appears inside a Message. */
  static privateChatOf(user: TgUser): TgChat {
    const chat: TgChat = { id: user.id, first_name: user.first_name, type: 'private' };
    if (user.last_name) chat.last_name = user.last_name;
    if (user.username) chat.username = user.username;
    return orderChat(chat);
  }
}

export const topicKey = (chatId: number, threadId: number): string => `${chatId}:${threadId}`;

export function orderChat(chat: TgChat): TgChat {
  const { id, title, username, first_name, last_name, is_forum, type } = chat;
  return JSON.parse(JSON.stringify({ id, title, username, first_name, last_name, is_forum, type })) as TgChat;
}

export function shortUser(u: TgUser): TgUser {
  const out: TgUser = { id: u.id, is_bot: u.is_bot, first_name: u.first_name };
  if (u.last_name) out.last_name = u.last_name;
  if (u.username) out.username = u.username;
  if (u.language_code) out.language_code = u.language_code;
  if (u.is_premium) out.is_premium = true;
  return out;
}

/** reply_to_message never nests another reply_to_message. */
export function snapshot(m: TgMessage): TgMessage {
  const copy = structuredClone(m);
  delete copy.reply_to_message;
  return copy;
}
