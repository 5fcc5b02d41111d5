/**
 * Lightweight Bot API shapes used by the emulator. They mirror the JSON Telegram sends, not a full
 * typing of the Bot API: optional fields are only those the emulator produces or accepts.
 */

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: true;
  // getMe-only capability flags (always present for the bot itself).
  can_join_groups?: boolean;
  can_read_all_group_messages?: boolean;
  supports_inline_queries?: boolean;
  supports_guest_queries?: boolean;
  can_connect_to_business?: boolean;
  has_main_web_app?: boolean;
  has_topics_enabled?: boolean;
  allows_users_to_create_topics?: boolean;
  can_manage_bots?: boolean;
}

export type ChatType = 'private' | 'group' | 'supergroup' | 'channel';

export interface TgChat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum?: true;
}

export type MessageEntityType =
  | 'mention'
  | 'hashtag'
  | 'cashtag'
  | 'bot_command'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'bold'
  | 'italic'
  | 'underline'
  | 'strikethrough'
  | 'spoiler'
  | 'blockquote'
  | 'expandable_blockquote'
  | 'code'
  | 'pre'
  | 'text_link'
  | 'text_mention'
  | 'custom_emoji'
  | 'date_time';

export interface MessageEntity {
  type: MessageEntityType;
  /** UTF-16 code units, as the Bot API counts them. */
  offset: number;
  length: number;
  url?: string;
  user?: TgUser;
  language?: string;
  custom_emoji_id?: string;
  unix_time?: number;
  date_time_format?: string;
}

export interface PhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

export interface InlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
  [extra: string]: unknown;
}

export interface InlineKeyboardMarkup {
  inline_keyboard: InlineKeyboardButton[][];
}

export type MessageOrigin =
  | { type: 'user'; date: number; sender_user: TgUser }
  | { type: 'hidden_user'; date: number; sender_user_name: string }
  | { type: 'chat'; date: number; sender_chat: TgChat; author_signature?: string }
  | { type: 'channel'; date: number; chat: TgChat; message_id: number; author_signature?: string };

export interface TgMessage {
  message_id: number;
  from?: TgUser;
  sender_chat?: TgChat;
  chat: TgChat;
  date: number;
  edit_date?: number;
  message_thread_id?: number;
  forward_origin?: MessageOrigin;
  forward_from?: TgUser;
  forward_date?: number;
  reply_to_message?: TgMessage;
  media_group_id?: string;
  text?: string;
  entities?: MessageEntity[];
  link_preview_options?: Record<string, unknown>;
  animation?: Record<string, unknown>;
  audio?: Record<string, unknown>;
  document?: Record<string, unknown>;
  photo?: PhotoSize[];
  sticker?: Record<string, unknown>;
  video?: Record<string, unknown>;
  video_note?: Record<string, unknown>;
  voice?: Record<string, unknown>;
  caption?: string;
  caption_entities?: MessageEntity[];
  contact?: Record<string, unknown>;
  dice?: Record<string, unknown>;
  location?: Record<string, unknown>;
  venue?: Record<string, unknown>;
  poll?: Record<string, unknown>;
  forum_topic_created?: { name: string; icon_color: number; icon_custom_emoji_id?: string };
  forum_topic_edited?: { name?: string; icon_custom_emoji_id?: string };
  forum_topic_closed?: Record<string, never>;
  forum_topic_reopened?: Record<string, never>;
  reply_markup?: InlineKeyboardMarkup;
  has_protected_content?: true;
  is_topic_message?: true;
  [extra: string]: unknown;
}

export interface CallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}

export interface ChatMemberUpdated {
  chat: TgChat;
  from: TgUser;
  date: number;
  old_chat_member: Record<string, unknown>;
  new_chat_member: Record<string, unknown>;
}

export interface Update {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: CallbackQuery;
  my_chat_member?: ChatMemberUpdated;
  chat_member?: ChatMemberUpdated;
  [extra: string]: unknown;
}

export interface LimitOptions {
  enforce: boolean;
  /** Messages per second over all chats (Telegram: about 30). */
  globalPerSecond?: number;
  /** Sustained messages per second into one chat (Telegram: about 1). */
  perChatPerSecond?: number;
  /** Short burst allowed into one chat before the per-second rate applies. */
  perChatBurst?: number;
  /** Sustained messages per second into one group; defaults to perChatPerSecond (lets a test scale group traffic). */
  perGroupPerSecond?: number;
  /** Messages per minute into one group (Telegram: 20). */
  perGroupPerMinute?: number;
}

export interface Fault {
  /** Delays the response; the call's effect happens when the response is sent. */
  latencyMs?: number;
  /** Probability (0..1) of answering 429. */
  rate429?: number;
  /** Seconds, or an inclusive [min, max] range picked at random. */
  retryAfter?: number | [number, number];
  /** Probability (0..1) of answering 502 Bad Gateway. */
  rate5xx?: number;
  /** The next `count` calls fail as given; with `chatId`, only calls into that chat (others go through). */
  failNext?: { count: number; code: number; description: string; retryAfter?: number; chatId?: number };
}

export interface CallRecord {
  id: number;
  /** Canonical camelCase name, e.g. 'createForumTopic' (the raw name for unknown methods). */
  method: string;
  /** Decoded parameters: JSON strings parsed, uploads described as { upload: true, filename, size }. */
  params: Record<string, unknown>;
  startSeq: number;
  endSeq?: number;
  startedAt: number;
  finishedAt?: number;
  status?: number;
  ok?: boolean;
  result?: unknown;
  description?: string;
}

export interface TopicInfo {
  /** The forum the topic is in (thread ids repeat across groups). */
  chat_id: number;
  message_thread_id: number;
  name: string;
  icon_color: number;
  icon_custom_emoji_id?: string;
  closed: boolean;
  deleted: boolean;
  createdSeq: number;
}

export interface BotRights {
  can_manage_topics?: boolean;
  can_delete_messages?: boolean;
  can_pin_messages?: boolean;
}

/** The bot's ChatMember status in the support supergroup (Telegram's creator/restricted are not modelled). */
export type BotGroupStatus = 'administrator' | 'member' | 'left' | 'kicked';

export interface EmulatorOptions {
  token?: string;
  bot?: Partial<TgUser>;
  supportChat?: { id?: number; title?: string; isForum?: boolean };
  botRights?: BotRights;
  /** The bot, as an admin with can_manage_topics, may post into closed topics (Telegram's rule). Default true. */
  botCanPostInClosedTopics?: boolean;
  limits?: LimitOptions;
  /** Webhook retry backoff, scaled down from Telegram's 2 s .. 60-120 s for tests. */
  webhookRetry?: { baseMs?: number; maxMs?: number };
  /** Source of randomness for topic colours and faults; Math.random by default. */
  random?: () => number;
  log?: (line: string) => void;
  /** Lifetime of a callback query before answering it fails (Telegram: about 150 s). */
  callbackQueryTtlMs?: number;
  /** First update_id handed out. */
  firstUpdateId?: number;
}

/** An uploaded multipart file part. */
export interface UploadedFile {
  field: string;
  filename: string;
  mimeType: string;
  data: Buffer;
}
