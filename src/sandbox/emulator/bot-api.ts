import { badRequest, conflict, forbidden } from './errors';
import { Params } from './params';
import {
  contentOf,
  hasMedia,
  isServiceMessage,
  shortUser,
  TOPIC_COLORS,
  unixNow,
  type ChatRecord,
  type FileKind,
  type FileRecord,
  type StoredMessage,
  type TopicRecord,
  type World,
} from './state';
import { formatText } from './text-format';
import type { InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, TgMessage, TgUser, Update, UploadedFile } from './types';
import type { UpdateQueue } from './update-queue';
import type { WebhookDeliverer } from './webhook';

export interface CallContext {
  signal?: AbortSignal;
}

export interface MethodDef {
  name: string;
  /** Sends into a chat: subject to flood control, counted on success. */
  send?: boolean;
  handler: (p: Params, ctx: CallContext) => unknown;
}

export interface WebhookSettings {
  url: string;
  secretToken?: string;
  maxConnections: number;
  ipAddress?: string;
}

/** What the method implementations need from the emulator. */
export interface ApiHost {
  world: World;
  queue: UpdateQueue;
  botCanPostInClosedTopics: boolean;
  callbackTtlMs: number;
  random: () => number;
  enqueue: (body: Omit<Update, 'update_id'>) => number;
  webhook: () => WebhookDeliverer | undefined;
  setWebhook: (settings: WebhookSettings) => void;
  removeWebhook: () => void;
}

const MAX_FILE_DOWNLOAD = 20 * 1024 * 1024;
const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document',
  'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const BUTTON_ACTIONS = [
  'url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay',
];

/** A successful result that also carries a `description`, as setWebhook's answers do. */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Bot API method implementations over the emulator's world, keyed by lower-cased name. */
export function createBotApi(host: ApiHost): Map<string, MethodDef> {
  const { world } = host;
  const methods = new Map<string, MethodDef>();
  const def = (name: string, handler: MethodDef['handler'], send = false): void => {
    methods.set(name.toLowerCase(), { name, handler, send });
  };

  // ---------- shared helpers ----------

  const resolveUser = (id: number): TgUser | undefined => {
    const rec = world.users.get(id);
    return rec ? shortUser(rec.user) : id === world.botUser.id ? world.botShort() : undefined;
  };

  const chatIdOf = (p: Params, key = 'chat_id'): number => {
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
  };

  const chatOf = (p: Params, key = 'chat_id'): ChatRecord => {
    const id = chatIdOf(p, key);
    const rec = world.chats.get(id);
    if (rec) return rec;
    if (id === world.botUser.id) throw forbidden("the bot can't send messages to the bot");
    if (world.users.has(id)) throw forbidden("bot can't initiate conversation with a user");
    throw badRequest('chat not found');
  };

  /** A chat the bot may post into. */
  const writableChat = (p: Params): ChatRecord => {
    const rec = chatOf(p);
    if (rec.kind === 'private' && world.users.get(rec.chat.id)?.blocked) throw forbidden('bot was blocked by the user');
    return rec;
  };

  const messageIdOf = (p: Params, key = 'message_id'): number => {
    const id = p.int(key);
    if (id === undefined) throw badRequest('message identifier is not specified');
    return id;
  };

  const topicOf = (threadId: number): TopicRecord => {
    const topic = world.topics.get(threadId);
    if (!topic || topic.deleted) throw badRequest('message thread not found');
    return topic;
  };

  const botMayPostInClosed = (topic: TopicRecord): boolean =>
    host.botCanPostInClosedTopics && (world.botRights.can_manage_topics || topic.creatorId === world.botUser.id);

  /** The topic a send goes to (undefined = General / not a forum), with Telegram's checks. */
  const threadFor = (rec: ChatRecord, p: Params, reply?: StoredMessage, checkClosed = true): number | undefined => {
    if (!rec.chat.is_forum) return undefined;
    let tid = p.int('message_thread_id') ?? 0;
    if (tid < 0) tid = 0;
    // Replying without message_thread_id places the reply in the replied message's topic.
    if (tid === 0 && reply?.message.is_topic_message) tid = reply.message.message_thread_id ?? 0;
    if (tid === 0) return undefined;
    const topic = topicOf(tid);
    if (checkClosed && topic.closed && !botMayPostInClosed(topic)) throw badRequest('TOPIC_CLOSED');
    return tid;
  };

  const replyFor = (rec: ChatRecord, p: Params): StoredMessage | undefined => {
    let messageId: number | undefined;
    let allowWithout = p.bool('allow_sending_without_reply');
    if (p.has('reply_parameters')) {
      const rp = p.json('reply_parameters');
      if (typeof rp !== 'object' || rp === null) throw badRequest("can't parse reply parameters JSON object");
      const r = new Params(rp as Record<string, unknown>);
      messageId = r.int('message_id');
      if (r.has('allow_sending_without_reply')) allowWithout = r.bool('allow_sending_without_reply');
      // Replies into another chat (external_reply) are not modelled: such a target counts as missing,
      // and allow_sending_without_reply is "always False for replies in another chat".
      if (r.has('chat_id') && r.int('chat_id') !== rec.chat.id) {
        if (messageId) throw badRequest('message to be replied not found');
      }
    } else {
      messageId = p.int('reply_to_message_id');
    }
    if (!messageId) return undefined;
    const target = world.getStored(rec.chat.id, messageId);
    if (!target) {
      if (allowWithout) return undefined;
      throw badRequest('message to be replied not found');
    }
    return target;
  };

  const markupOf = (p: Params): InlineKeyboardMarkup | undefined => {
    if (!p.has('reply_markup')) return undefined;
    const value = p.json('reply_markup');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
    const markup = value as Record<string, unknown>;
    if (markup.inline_keyboard === undefined) {
      if (markup.keyboard !== undefined || markup.remove_keyboard !== undefined || markup.force_reply !== undefined) {
        return undefined; // accepted, but reply keyboards never appear on the Message
      }
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
    const rows = markup.inline_keyboard;
    if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
      throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    }
    const clean: InlineKeyboardButton[][] = [];
    for (const row of rows as unknown[][]) {
      const out: InlineKeyboardButton[] = [];
      for (const b of row) {
        if (typeof b !== 'object' || b === null) throw badRequest("can't parse inline keyboard button: Object expected");
        const button = b as Record<string, unknown>;
        if (typeof button.text !== 'string') {
          throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
        }
        if (button.callback_data !== undefined) {
          const data = button.callback_data;
          if (typeof data !== 'string' || Buffer.byteLength(data, 'utf8') < 1 || Buffer.byteLength(data, 'utf8') > 64) {
            throw badRequest('BUTTON_DATA_INVALID');
          }
        } else if (button.url !== undefined) {
          if (typeof button.url !== 'string' || !/^(https?|tg):\/\/\S+$/i.test(button.url)) throw badRequest('BUTTON_URL_INVALID');
        } else if (!BUTTON_ACTIONS.some((k) => button[k] !== undefined)) {
          throw badRequest('can\'t parse inline keyboard button: Text buttons are unallowed in the inline keyboard');
        }
        out.push(structuredClone(button) as InlineKeyboardButton);
      }
      clean.push(out);
    }
    return { inline_keyboard: clean };
  };

  /** Stores a bot message with Telegram's reply/thread/markup handling; returns the message. */
  const sendFromBot = (
    rec: ChatRecord,
    p: Params,
    content: Partial<TgMessage>,
    extra: { markup?: boolean; mediaGroupId?: string; reply?: StoredMessage | null; thread?: number | null } = {},
  ): TgMessage => {
    const reply = extra.reply === undefined ? replyFor(rec, p) : (extra.reply ?? undefined);
    const thread = extra.thread === undefined ? threadFor(rec, p, reply) : (extra.thread ?? undefined);
    const markup = extra.markup === false ? undefined : markupOf(p);
    return world.storeMessage(rec.chat.id, {
      from: world.botShort(),
      content,
      threadId: thread,
      replyToId: reply?.message.message_id,
      replyMarkup: markup,
      protect: p.bool('protect_content'),
      mediaGroupId: extra.mediaGroupId,
    });
  };

  const formatCaption = (p: Params, keyPrefix = ''): Partial<TgMessage> => {
    const raw = p.str(`${keyPrefix}caption`);
    if (raw === undefined) return {};
    const { text, entities } = formatText(raw, p.raw.parse_mode, p.json('caption_entities'), { kind: 'caption', resolveUser });
    const out: Partial<TgMessage> = {};
    if (text) out.caption = text;
    if (entities.length) out.caption_entities = entities;
    return out;
  };

  const textContent = (text: string, entities: MessageEntity[]): Partial<TgMessage> =>
    entities.length ? { text, entities } : { text };

  const newMediaGroupId = (): string => String(13_000_000_000_000_000n + BigInt(Math.floor(host.random() * 1e15)));

  // ---------- files ----------

  const MEDIA_DEFAULTS: Record<Exclude<FileKind, 'photo'>, { mime: string; ext: string }> = {
    document: { mime: 'application/octet-stream', ext: 'dat' },
    video: { mime: 'video/mp4', ext: 'mp4' },
    voice: { mime: 'audio/ogg', ext: 'ogg' },
    audio: { mime: 'audio/mpeg', ext: 'mp3' },
    animation: { mime: 'video/mp4', ext: 'mp4' },
    sticker: { mime: 'image/webp', ext: 'webp' },
    video_note: { mime: 'video/mp4', ext: 'mp4' },
  };

  const lookupFile = (value: unknown, files: Map<string, UploadedFile>, kind: FileKind): { upload?: UploadedFile; record?: FileRecord; url?: string } => {
    if (typeof value === 'string') {
      if (value.startsWith('attach://')) {
        const upload = files.get(value.slice(9));
        if (!upload) throw badRequest(`can't parse InputMedia: media not found`);
        return { upload };
      }
      const record = world.files.get(value);
      if (record) {
        if ((record.kind === 'photo') !== (kind === 'photo')) {
          throw badRequest(`can't use file of type ${record.kind === 'photo' ? 'Photo' : 'Document'} as ${kind === 'photo' ? 'Photo' : 'Document'}`);
        }
        return { record };
      }
      if (/^https?:\/\/\S+$/i.test(value)) return { url: value };
      throw badRequest('wrong file identifier/HTTP URL specified');
    }
    return {};
  };

  /** Builds the media content for `kind` from a request field (upload, attach://, file_id or URL). */
  const mediaContent = (kind: FileKind, source: { upload?: UploadedFile; record?: FileRecord; url?: string }, p: Params): Partial<TgMessage> => {
    if (kind === 'photo') {
      if (source.record) return { photo: structuredClone(source.record.descriptor) as TgMessage['photo'] };
      return { photo: world.addPhoto(source.upload?.data ?? Buffer.from(`photo from ${source.url ?? 'upload'}`)) };
    }
    if (source.record) {
      const d = structuredClone(source.record.descriptor) as Record<string, unknown>;
      return kind === 'animation' ? { animation: d, document: { ...d } } : { [kind]: d };
    }
    const defaults = MEDIA_DEFAULTS[kind];
    const name = source.upload?.filename ?? source.url?.split('/').pop() ?? `file.${defaults.ext}`;
    const mime = source.upload && source.upload.mimeType !== 'application/octet-stream' ? source.upload.mimeType : guessMime(name) ?? defaults.mime;
    const meta: Record<string, unknown> = {};
    const duration = p.int('duration') ?? 0;
    const width = p.int('width');
    const height = p.int('height');
    switch (kind) {
      case 'sticker':
        Object.assign(meta, { width: 512, height: 512, emoji: p.str('emoji'), is_animated: false, is_video: false, type: 'regular' });
        break;
      case 'voice':
        Object.assign(meta, { duration, mime_type: mime });
        break;
      case 'video_note':
        Object.assign(meta, { duration, length: p.int('length') ?? 240 });
        break;
      case 'audio':
        Object.assign(meta, { duration, performer: p.str('performer'), title: p.str('title'), file_name: name, mime_type: mime });
        break;
      case 'video':
      case 'animation':
        Object.assign(meta, { width: width ?? 640, height: height ?? 360, duration, file_name: name, mime_type: mime });
        break;
      default:
        Object.assign(meta, { file_name: name, mime_type: mime });
    }
    for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
    const bytes = source.upload?.data;
    const d = world.addFile(kind, meta, bytes);
    return kind === 'animation' ? { animation: d, document: { ...d } } : { [kind]: d };
  };

  const defSendMedia = (name: string, kind: FileKind, field: string, captioned = true): void => {
    def(
      name,
      (p) => {
        const source = p.files.get(field) ? { upload: p.files.get(field) } : lookupFile(p.raw[field], p.files, kind);
        if (!source.upload && !source.record && !source.url) throw badRequest(`there is no ${field} in the request`);
        const caption = captioned ? formatCaption(p) : {};
        const rec = writableChat(p);
        const reply = replyFor(rec, p);
        const thread = threadFor(rec, p, reply);
        const content = { ...mediaContent(kind, source, p), ...caption };
        if (p.bool('has_spoiler')) content.has_media_spoiler = true;
        return sendFromBot(rec, p, content, { reply: reply ?? null, thread: thread ?? null });
      },
      true,
    );
  };

  // ---------- bot & updates ----------

  def('getMe', () => ({ ...world.botUser }));
  def('logOut', () => true);
  def('close', () => true);

  def('getUpdates', async (p, ctx) => {
    if (host.webhook()) {
      throw conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    if (p.has('allowed_updates')) host.queue.setAllowedUpdates(p.json('allowed_updates'));
    const limit = Math.min(100, Math.max(1, p.int('limit') ?? 100));
    const timeout = Math.min(50, Math.max(0, p.int('timeout') ?? 0));
    return host.queue.poll(p.int('offset') ?? 0, limit, timeout, ctx.signal);
  });

  def('setWebhook', (p) => {
    const url = (p.str('url') ?? '').trim();
    if (url === '') {
      const had = host.webhook() !== undefined;
      host.removeWebhook();
      if (p.bool('drop_pending_updates')) host.queue.clear();
      return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
    }
    const secret = p.str('secret_token');
    if (secret !== undefined && secret !== '') {
      if (secret.length > 256) throw badRequest('secret token is too long');
      if (!/^[A-Za-z0-9_-]+$/.test(secret)) throw badRequest('secret token contains unallowed characters');
    }
    const maxConnections = p.int('max_connections') ?? 40;
    if (maxConnections < 1 || maxConnections > 100_000) throw badRequest('max_connections must be between 1 and 100000');
    const settings: WebhookSettings = { url, secretToken: secret || undefined, maxConnections, ipAddress: p.str('ip_address') };
    const current = host.webhook()?.config;
    const sameAllowed = !p.has('allowed_updates') || sameJson(p.json('allowed_updates'), host.queue.allowedUpdates ?? []);
    if (p.has('allowed_updates')) host.queue.setAllowedUpdates(p.json('allowed_updates'));
    if (p.bool('drop_pending_updates')) host.queue.clear();
    if (current && sameJson(current, settings) && sameAllowed) return new Described(true, 'Webhook is already set');
    host.queue.abortPending(conflict('terminated by setWebhook request'));
    host.setWebhook(settings);
    return new Described(true, 'Webhook was set');
  });

  def('deleteWebhook', (p) => {
    const had = host.webhook() !== undefined;
    host.removeWebhook();
    if (p.bool('drop_pending_updates')) host.queue.clear();
    return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
  });

  def('getWebhookInfo', () => {
    const hook = host.webhook();
    const info: Record<string, unknown> = {
      url: hook?.config.url ?? '',
      has_custom_certificate: false,
      pending_update_count: host.queue.size,
    };
    if (hook) {
      if (hook.config.ipAddress) info.ip_address = hook.config.ipAddress;
      if (hook.lastErrorDate !== undefined) {
        info.last_error_date = hook.lastErrorDate;
        info.last_error_message = hook.lastErrorMessage;
      }
      info.max_connections = hook.config.maxConnections;
      if (host.queue.allowedUpdates) info.allowed_updates = host.queue.allowedUpdates;
    }
    return info;
  });

  // ---------- sending ----------

  def(
    'sendMessage',
    (p) => {
      const { text, entities } = formatText(p.str('text') ?? '', p.raw.parse_mode, p.json('entities'), { kind: 'text', resolveUser });
      const rec = writableChat(p);
      return sendFromBot(rec, p, textContent(text, entities));
    },
    true,
  );

  defSendMedia('sendPhoto', 'photo', 'photo');
  defSendMedia('sendDocument', 'document', 'document');
  defSendMedia('sendVideo', 'video', 'video');
  defSendMedia('sendVoice', 'voice', 'voice');
  defSendMedia('sendAudio', 'audio', 'audio');
  defSendMedia('sendAnimation', 'animation', 'animation');
  defSendMedia('sendVideoNote', 'video_note', 'video_note', false);
  defSendMedia('sendSticker', 'sticker', 'sticker', false);

  def(
    'sendMediaGroup',
    (p) => {
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
        const source = lookupFile(item.raw.media, p.files, type);
        if (!source.upload && !source.record && !source.url) throw badRequest("can't parse InputMedia: media not found");
        return { type, item, source, caption: formatCaption(item) };
      });
      const rec = writableChat(p);
      const reply = replyFor(rec, p);
      const thread = threadFor(rec, p, reply);
      const groupId = contents.length > 1 ? newMediaGroupId() : undefined;
      return contents.map(({ type, item, source, caption }) =>
        sendFromBot(rec, p, { ...mediaContent(type, source, item), ...caption }, {
          markup: false,
          mediaGroupId: groupId,
          reply: reply ?? null,
          thread: thread ?? null,
        }),
      );
    },
    true,
  );

  def('copyMessage', (p) => {
    const from = chatOf(p, 'from_chat_id');
    const src = world.getStored(from.chat.id, messageIdOf(p));
    if (!src) throw badRequest('message to copy not found');
    if (isServiceMessage(src.message) || isUncopyable(src.message)) throw badRequest("the message can't be copied");
    const content = contentOf(src.message);
    if (hasMedia(src.message) && p.raw.caption !== undefined) {
      delete content.caption;
      delete content.caption_entities;
      Object.assign(content, formatCaption(p));
    }
    const rec = writableChat(p);
    const msg = sendFromBot(rec, p, content);
    return { message_id: msg.message_id };
  }, true);

  def('forwardMessage', (p) => {
    const from = chatOf(p, 'from_chat_id');
    const src = world.getStored(from.chat.id, messageIdOf(p));
    if (!src) throw badRequest('message to forward not found');
    if (isServiceMessage(src.message)) throw badRequest("the message can't be forwarded");
    if (src.message.has_protected_content) throw badRequest("message has protected content and can't be forwarded");
    const rec = writableChat(p);
    const thread = threadFor(rec, p);
    return world.storeMessage(rec.chat.id, {
      from: world.botShort(),
      content: contentOf(src.message),
      extra: forwardFields(src.message),
      threadId: thread,
      protect: p.bool('protect_content'),
    });
  }, true);

  const messageIdsOf = (p: Params): number[] => {
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
  };

  const copyOrForwardMany = (p: Params, forward: boolean): Array<{ message_id: number }> => {
    const ids = messageIdsOf(p);
    const from = chatOf(p, 'from_chat_id');
    const sources = ids
      .map((id) => world.getStored(from.chat.id, id))
      .filter((s): s is StoredMessage => s !== undefined && !isServiceMessage(s.message))
      .filter((s) => (forward ? !s.message.has_protected_content : !isUncopyable(s.message)));
    if (sources.length === 0) throw badRequest("messages can't be forwarded");
    const rec = writableChat(p);
    const thread = threadFor(rec, p);
    // Album grouping is kept: members copied together share a fresh media_group_id.
    const groupCounts = new Map<string, number>();
    for (const s of sources) if (s.message.media_group_id) groupCounts.set(s.message.media_group_id, (groupCounts.get(s.message.media_group_id) ?? 0) + 1);
    const newGroups = new Map<string, string>();
    return sources.map((s) => {
      const oldGroup = s.message.media_group_id;
      let groupId: string | undefined;
      if (oldGroup && (groupCounts.get(oldGroup) ?? 0) > 1) {
        groupId = newGroups.get(oldGroup) ?? newMediaGroupId();
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
  };

  def('copyMessages', (p) => copyOrForwardMany(p, false), true);
  def('forwardMessages', (p) => copyOrForwardMany(p, true), true);

  // ---------- editing & deleting ----------

  const editableMessage = (p: Params): { rec: ChatRecord; stored: StoredMessage } => {
    if (p.has('inline_message_id') && !p.has('chat_id')) throw badRequest('MESSAGE_ID_INVALID');
    const rec = chatOf(p);
    const stored = world.getStored(rec.chat.id, messageIdOf(p));
    if (!stored) throw badRequest('message to edit not found');
    if (stored.message.from?.id !== world.botUser.id) throw badRequest("message can't be edited");
    return { rec, stored };
  };

  const applyEdit = (rec: ChatRecord, stored: StoredMessage, change: Partial<TgMessage>, markup: InlineKeyboardMarkup | undefined): TgMessage => {
    const next: TgMessage = { ...stored.message, ...change, edit_date: unixNow() };
    for (const k of Object.keys(change)) if (change[k] === undefined) delete next[k];
    if (markup) next.reply_markup = markup;
    else delete next.reply_markup;
    return world.replaceMessage(rec.chat.id, next);
  };

  def('editMessageText', (p) => {
    const { text, entities } = formatText(p.str('text') ?? '', p.raw.parse_mode, p.json('entities'), { kind: 'text', resolveUser });
    const { rec, stored } = editableMessage(p);
    if (stored.message.text === undefined) throw badRequest('there is no text in the message to edit');
    const markup = markupOf(p);
    if (stored.message.text === text && sameJson(stored.message.entities ?? [], entities) && sameJson(stored.message.reply_markup, markup)) {
      throw badRequest(NOT_MODIFIED);
    }
    return applyEdit(rec, stored, { text, entities: entities.length ? entities : undefined }, markup);
  });

  def('editMessageCaption', (p) => {
    const caption = formatCaption(p);
    const { rec, stored } = editableMessage(p);
    if (!hasMedia(stored.message)) throw badRequest('there is no caption in the message to edit');
    const markup = markupOf(p);
    if (
      (stored.message.caption ?? '') === (caption.caption ?? '') &&
      sameJson(stored.message.caption_entities ?? [], caption.caption_entities ?? []) &&
      sameJson(stored.message.reply_markup, markup)
    ) {
      throw badRequest(NOT_MODIFIED);
    }
    return applyEdit(rec, stored, { caption: caption.caption, caption_entities: caption.caption_entities }, markup);
  });

  def('editMessageReplyMarkup', (p) => {
    const { rec, stored } = editableMessage(p);
    const markup = markupOf(p);
    if (sameJson(stored.message.reply_markup, markup)) throw badRequest(NOT_MODIFIED);
    const next = applyEdit(rec, stored, {}, markup);
    return next;
  });

  def('deleteMessage', (p) => {
    const rec = chatOf(p);
    const id = messageIdOf(p);
    const stored = world.getStored(rec.chat.id, id);
    if (!stored) throw badRequest('message to delete not found');
    if (rec.kind !== 'private') {
      const own = stored.message.from?.id === world.botUser.id;
      if (stored.message.forum_topic_created) throw badRequest("message can't be deleted");
      if (!own && !(rec.kind === 'support' && world.botRights.can_delete_messages)) throw badRequest("message can't be deleted");
    }
    world.deleteMessage(rec.chat.id, id);
    return true;
  });

  // ---------- callback queries ----------

  def('answerCallbackQuery', (p) => {
    const id = p.str('callback_query_id') ?? '';
    const text = p.str('text');
    if (text !== undefined && [...text].length > 200) throw badRequest('MESSAGE_TOO_LONG');
    const query = world.callbacks.get(id);
    if (!query || query.answered || Date.now() - query.createdAt > host.callbackTtlMs) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    query.answered = true;
    query.answer = { text, show_alert: p.bool('show_alert'), url: p.str('url'), cache_time: p.int('cache_time') };
    return true;
  });

  // ---------- forum topics ----------

  const forumOf = (p: Params): ChatRecord => {
    const rec = chatOf(p);
    if (!rec.chat.is_forum) throw badRequest('the chat is not a forum');
    return rec;
  };

  const topicServiceMessage = (rec: ChatRecord, topic: TopicRecord, content: Partial<TgMessage>): void => {
    const msg = world.storeMessage(rec.chat.id, { from: world.botShort(), content, threadId: topic.threadId });
    host.enqueue({ message: structuredClone(msg) });
  };

  const threadIdOf = (p: Params): number => {
    const id = p.int('message_thread_id');
    if (id === undefined || id <= 0) throw badRequest('message thread not found');
    return id;
  };

  def(
    'createForumTopic',
    (p) => {
      const rec = forumOf(p);
      if (!world.botRights.can_manage_topics) throw badRequest('not enough rights to create a topic');
      const name = cleanTopicName(p.str('name') ?? '');
      if (name === '') throw badRequest('name must be non-empty');
      let color = p.int('icon_color') ?? 0;
      if (color === 0) color = TOPIC_COLORS[Math.floor(host.random() * TOPIC_COLORS.length) % TOPIC_COLORS.length];
      else if (!(TOPIC_COLORS as readonly number[]).includes(color)) throw badRequest('invalid icon color specified');
      const emoji = p.str('icon_custom_emoji_id');
      const iconCustomEmojiId = emoji && /^\d+$/.test(emoji) ? emoji : undefined;
      const threadId = rec.nextMessageId;
      const topic: TopicRecord = {
        threadId,
        name,
        iconColor: color,
        iconCustomEmojiId,
        closed: false,
        deleted: false,
        createdSeq: 0,
        creatorId: world.botUser.id,
      };
      world.topics.set(threadId, topic);
      const created: TgMessage['forum_topic_created'] = { name, icon_color: color };
      if (iconCustomEmojiId && created) created.icon_custom_emoji_id = iconCustomEmojiId;
      topicServiceMessage(rec, topic, { forum_topic_created: created });
      topic.createdSeq = world.chats.get(rec.chat.id)?.messages.get(threadId)?.seq ?? world.nextSeq();
      const result: Record<string, unknown> = { message_thread_id: threadId, name, icon_color: color };
      if (iconCustomEmojiId) result.icon_custom_emoji_id = iconCustomEmojiId;
      return result;
    },
    true,
  );

  const manageableTopic = (p: Params, denied: string): { rec: ChatRecord; topic: TopicRecord } => {
    const rec = forumOf(p);
    const topic = topicOf(threadIdOf(p));
    if (!world.botRights.can_manage_topics && topic.creatorId !== world.botUser.id) throw badRequest(denied);
    return { rec, topic };
  };

  def('editForumTopic', (p) => {
    const { rec, topic } = manageableTopic(p, 'not enough rights to edit the topic');
    const name = p.has('name') ? cleanTopicName(p.str('name') ?? '') : '';
    const emoji = p.raw.icon_custom_emoji_id === undefined ? undefined : (p.str('icon_custom_emoji_id') ?? '');
    const edited: { name?: string; icon_custom_emoji_id?: string } = {};
    if (name !== '' && name !== topic.name) edited.name = name;
    if (emoji !== undefined && emoji !== (topic.iconCustomEmojiId ?? '')) edited.icon_custom_emoji_id = emoji;
    if (Object.keys(edited).length === 0) throw badRequest('TOPIC_NOT_MODIFIED');
    if (edited.name !== undefined) topic.name = edited.name;
    if (edited.icon_custom_emoji_id !== undefined) topic.iconCustomEmojiId = edited.icon_custom_emoji_id || undefined;
    topicServiceMessage(rec, topic, { forum_topic_edited: edited });
    return true;
  });

  const defOpenClose = (name: string, close: boolean): void => {
    def(name, (p) => {
      const { rec, topic } = manageableTopic(p, 'not enough rights to close or open the topic');
      if (topic.closed === close) throw badRequest('TOPIC_NOT_MODIFIED');
      topic.closed = close;
      topicServiceMessage(rec, topic, close ? { forum_topic_closed: {} } : { forum_topic_reopened: {} });
      return true;
    });
  };
  defOpenClose('closeForumTopic', true);
  defOpenClose('reopenForumTopic', false);

  def('deleteForumTopic', (p) => {
    const rec = forumOf(p);
    const topic = topicOf(threadIdOf(p));
    if (!world.botRights.can_delete_messages) throw badRequest('not enough rights to delete the topic');
    deleteTopic(world, rec, topic);
    return true;
  });

  def('unpinAllForumTopicMessages', (p) => {
    forumOf(p);
    topicOf(threadIdOf(p));
    if (!world.botRights.can_pin_messages) throw badRequest('not enough rights to manage pinned messages in the chat');
    return true;
  });

  def('getForumTopicIconStickers', () => []);

  // ---------- chat info ----------

  def('getChat', (p) => {
    const rec = chatOf(p);
    const base: Record<string, unknown> = { ...rec.chat, accent_color_id: 0, max_reaction_count: 11 };
    if (rec.kind !== 'private') {
      base.permissions = {
        can_send_messages: true, can_send_audios: true, can_send_documents: true, can_send_photos: true,
        can_send_videos: true, can_send_video_notes: true, can_send_voice_notes: true, can_send_polls: true,
        can_send_other_messages: true, can_add_web_page_previews: true, can_change_info: false,
        can_invite_users: true, can_pin_messages: false, can_manage_topics: false,
      };
    }
    base.accepted_gift_types = { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false, gifts_from_channels: false };
    return base;
  });

  const botMember = (): Record<string, unknown> => ({
    user: world.botShort(),
    status: 'administrator',
    can_be_edited: false,
    is_anonymous: false,
    can_manage_chat: true,
    can_delete_messages: world.botRights.can_delete_messages,
    can_manage_video_chats: false,
    can_restrict_members: false,
    can_promote_members: false,
    can_change_info: false,
    can_invite_users: true,
    can_post_stories: false,
    can_edit_stories: false,
    can_delete_stories: false,
    can_pin_messages: world.botRights.can_pin_messages,
    can_manage_topics: world.botRights.can_manage_topics,
  });

  const agentMember = (user: TgUser, admin: boolean): Record<string, unknown> =>
    admin
      ? {
          user: shortUser(user), status: 'administrator', can_be_edited: false, is_anonymous: false, can_manage_chat: true,
          can_delete_messages: true, can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false,
          can_change_info: true, can_invite_users: true, can_post_stories: false, can_edit_stories: false,
          can_delete_stories: false, can_pin_messages: true, can_manage_topics: true,
        }
      : { user: shortUser(user), status: 'member' };

  def('getChatMember', (p) => {
    const rec = chatOf(p);
    const userId = p.int('user_id');
    if (userId === undefined) throw badRequest('invalid user_id specified');
    const known = world.users.get(userId);
    if (rec.kind === 'support') {
      if (userId === world.botUser.id) return botMember();
      if (known?.role === 'agent') return agentMember(known.user, known.admin);
    } else if (rec.kind === 'private') {
      if (userId === world.botUser.id) return { user: world.botShort(), status: 'member' };
      if (userId === rec.chat.id && known) return { user: shortUser(known.user), status: 'member' };
    } else if (userId === world.botUser.id) {
      return { user: world.botShort(), status: 'member' };
    }
    return { user: known ? shortUser(known.user) : { id: userId, is_bot: false, first_name: '' }, status: 'left' };
  });

  def('getChatAdministrators', (p) => {
    const rec = chatOf(p);
    if (rec.kind === 'private') throw badRequest('there are no administrators in the private chat');
    if (rec.kind !== 'support') return [];
    const admins = [botMember()];
    for (const u of world.users.values()) if (u.role === 'agent' && u.admin) admins.push(agentMember(u.user, true));
    return admins;
  });

  def('sendChatAction', (p) => {
    const rec = writableChat(p);
    const action = p.str('action') ?? '';
    if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
    threadFor(rec, p, undefined, false);
    return true;
  });

  def('setMessageReaction', (p) => {
    const rec = chatOf(p);
    const stored = world.getStored(rec.chat.id, messageIdOf(p));
    if (!stored) throw badRequest('message to react not found');
    const reaction = p.has('reaction') ? p.json('reaction') : [];
    if (!Array.isArray(reaction)) throw badRequest("can't parse reaction types JSON object");
    for (const r of reaction) {
      const t = r as Record<string, unknown>;
      if (typeof t !== 'object' || t === null || !['emoji', 'custom_emoji', 'paid'].includes(String(t.type))) {
        throw badRequest('REACTION_INVALID');
      }
      if (t.type === 'emoji' && (typeof t.emoji !== 'string' || t.emoji.length === 0)) throw badRequest('REACTION_INVALID');
    }
    if (reaction.length > 1) throw badRequest('REACTIONS_TOO_MANY');
    stored.reactions = structuredClone(reaction);
    return true;
  });

  // ---------- commands & menu ----------

  const commandsKey = (p: Params): string => {
    const scope = p.has('scope') ? p.json('scope') : { type: 'default' };
    return `${JSON.stringify(scope)}|${p.str('language_code') ?? ''}`;
  };

  def('setMyCommands', (p) => {
    const commands = p.json('commands');
    if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
    if (commands.length > 100) throw badRequest('too many commands specified');
    const clean = commands.map((c) => {
      const cmd = c as Record<string, unknown>;
      const command = typeof cmd.command === 'string' ? cmd.command.toLowerCase() : '';
      if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
      const description = typeof cmd.description === 'string' ? cmd.description : '';
      if (description.length < 1 || description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      return { command, description };
    });
    world.commands.set(commandsKey(p), clean);
    return true;
  });
  def('getMyCommands', (p) => world.commands.get(commandsKey(p)) ?? []);
  def('deleteMyCommands', (p) => {
    world.commands.delete(commandsKey(p));
    return true;
  });

  def('setChatMenuButton', (p) => {
    const key = p.has('chat_id') ? String(chatOf(p).chat.id) : 'default';
    world.menuButtons.set(key, p.has('menu_button') ? p.json('menu_button') : { type: 'default' });
    return true;
  });
  def('getChatMenuButton', (p) => {
    const key = p.has('chat_id') ? String(chatOf(p).chat.id) : 'default';
    return world.menuButtons.get(key) ?? world.menuButtons.get('default') ?? { type: 'commands' };
  });

  // ---------- files ----------

  def('getFile', (p) => {
    const record = world.files.get(p.str('file_id') ?? '');
    if (!record) throw badRequest('wrong file_id or the file is temporarily unavailable');
    if (record.size > MAX_FILE_DOWNLOAD) throw badRequest('file is too big');
    if (!record.filePath) {
      const dirs: Record<FileKind, string> = {
        photo: 'photos', document: 'documents', video: 'videos', voice: 'voice', audio: 'music',
        animation: 'animations', sticker: 'stickers', video_note: 'video_notes',
      };
      const name = (record.descriptor as Record<string, unknown>).file_name;
      const ext = typeof name === 'string' && name.includes('.') ? name.split('.').pop() : extFor(record.kind);
      record.filePath = `${dirs[record.kind]}/file_${world.files.size}_${record.uniqueId.slice(4, 10)}.${ext}`;
    }
    return { file_id: record.fileId, file_unique_id: record.uniqueId, file_size: record.size, file_path: record.filePath };
  });

  return methods;
}

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

function extFor(kind: FileKind): string {
  return { photo: 'jpg', document: 'dat', video: 'mp4', voice: 'oga', audio: 'mp3', animation: 'mp4', sticker: 'webp', video_note: 'mp4' }[kind];
}

function guessMime(name: string): string | undefined {
  const ext = name.split('.').pop()?.toLowerCase();
  const map: Record<string, string> = {
    pdf: 'application/pdf', txt: 'text/plain', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif',
    webp: 'image/webp', mp4: 'video/mp4', ogg: 'audio/ogg', oga: 'audio/ogg', mp3: 'audio/mpeg', json: 'application/json',
    zip: 'application/zip', csv: 'text/csv',
  };
  return ext ? map[ext] : undefined;
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
