import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createBotApi, deleteTopic, Described, type MethodDef, type WebhookSettings } from './bot-api';
import { ApiError, tooManyRequests } from './errors';
import { EmulatorHttpServer, JSON_KEYS, type ApiRequest, type ApiResponse, type HttpExtension } from './http-server';
import { Params } from './params';
import { RateLimiter } from './rate-limiter';
import { orderChat, shortUser, unixNow, World, type ChatRecord, type UserRecord } from './state';
import { detectEntities } from './text-format';
import type {
  CallRecord,
  EmulatorOptions,
  Fault,
  LimitOptions,
  MessageEntity,
  TgChat,
  TgMessage,
  TgUser,
  TopicInfo,
  Update,
  UploadedFile,
} from './types';
import { UpdateQueue } from './update-queue';
import { WebhookDeliverer } from './webhook';

const DEFAULT_TOKEN = '123456:TEST-TOKEN';
const DEFAULT_SUPPORT_CHAT_ID = -1001971186208;

/**
 * A stateful, in-process Telegram Bot API server for tests, benchmarks and the sandbox page.
 * The bot talks to it over real HTTP (`apiRoot`); tests drive customers and agents through the
 * control methods below and inspect what the bot did.
 */
export class BotApiEmulator extends EventEmitter {
  readonly token: string;
  readonly supportChatId: number;

  private readonly world: World;
  private readonly queue: UpdateQueue;
  private readonly limiter: RateLimiter;
  private readonly methods: Map<string, MethodDef>;
  private readonly log: (line: string) => void;
  private readonly random: () => number;
  private readonly retry: { baseMs: number; maxMs: number };
  private readonly faults = new Map<string, Fault>();
  private readonly records: CallRecord[] = [];
  private readonly delivered: number[] = [];
  private readonly latencyTimers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private server?: EmulatorHttpServer;
  private webhook?: WebhookDeliverer;
  private root = '';
  private networkDown = false;
  private callCounter = 0;
  private nextUserId = 700_000_001;
  private callbackCounter = 0;
  private owner?: TgUser;
  private extension?: HttpExtension;

  constructor(options: EmulatorOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.token = options.token ?? DEFAULT_TOKEN;
    this.log = options.log ?? (() => undefined);
    this.random = options.random ?? Math.random;
    this.retry = { baseMs: options.webhookRetry?.baseMs ?? 200, maxMs: options.webhookRetry?.maxMs ?? 5_000 };
    this.supportChatId = options.supportChat?.id ?? DEFAULT_SUPPORT_CHAT_ID;

    const bot: TgUser = {
      id: 6129457865,
      is_bot: true,
      first_name: 'Support',
      username: 'support_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      supports_guest_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      ...options.bot,
    };
    const rights = {
      can_manage_topics: options.botRights?.can_manage_topics ?? true,
      can_delete_messages: options.botRights?.can_delete_messages ?? true,
      can_pin_messages: options.botRights?.can_pin_messages ?? true,
    };
    this.world = new World(bot, this.supportChatId, rights, {
      onMessage: (m, chatId) => this.emit('message', m, chatId),
      onChange: () => this.changed(),
    });
    const supportChat: TgChat = {
      id: this.supportChatId,
      title: options.supportChat?.title ?? 'Support',
      type: 'supergroup',
    };
    if (options.supportChat?.isForum ?? true) supportChat.is_forum = true;
    this.world.addChat(orderChat(supportChat), 'support');

    this.queue = new UpdateQueue(options.firstUpdateId ?? 100_000_000, {
      onChange: () => this.changed(),
      onHandedOut: (ids) => this.delivered.push(...ids),
      onEnqueued: () => this.webhook?.pump(),
    });
    this.limiter = new RateLimiter(options.limits ?? { enforce: false });
    this.methods = createBotApi({
      world: this.world,
      queue: this.queue,
      botCanPostInClosedTopics: options.botCanPostInClosedTopics ?? true,
      callbackTtlMs: options.callbackQueryTtlMs ?? 150_000,
      random: this.random,
      enqueue: (body) => this.enqueue(body),
      webhook: () => this.webhook,
      setWebhook: (settings) => this.installWebhook(settings),
      removeWebhook: () => this.removeWebhook(),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  get apiRoot(): string {
    return this.root;
  }

  get botUser(): TgUser {
    return shortUser(this.world.botUser);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.root;
    const server = new EmulatorHttpServer({
      api: (req) => this.handleApi(req),
      file: (token, path) => this.serveFile(token, path),
      isNetworkDown: () => this.networkDown,
      log: this.log,
      extension: (req, res) => this.extension?.(req, res) ?? false,
    });
    const actualPort = await server.listen(port, host);
    this.server = server;
    this.root = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    this.log(`emulator: listening on ${this.root}`);
    return this.root;
  }

  async stop(): Promise<void> {
    this.queue.abortPending();
    this.removeWebhook();
    for (const t of this.latencyTimers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.latencyTimers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await server.close();
  }

  /** Lets another module serve extra paths on this server (the sandbox page); undefined removes it. */
  useHttpExtension(handler: HttpExtension | undefined): void {
    this.extension = handler;
  }

  /** Next value of the one global counter that orders calls, messages and updates. */
  seq(): number {
    return this.world.nextSeq();
  }

  // ---------------------------------------------------------------- actors

  createUser(p: { first_name: string; last_name?: string; username?: string; language_code?: string; id?: number }): TgUser {
    const user = this.newUser(p);
    this.world.users.set(user.id, { user, role: 'customer', admin: false, blocked: false });
    this.world.addChat(World.privateChatOf(user), 'private');
    this.changed();
    return { ...user };
  }

  createAgent(p: { first_name: string; last_name?: string; username?: string; admin?: boolean }): TgUser {
    const user = this.newUser(p);
    this.world.users.set(user.id, { user, role: 'agent', admin: p.admin ?? false, blocked: false });
    this.changed();
    return { ...user };
  }

  // ---------------------------------------------------------------- customer actions

  userSendText(userId: number, text: string, opts: { entities?: MessageEntity[]; reply_to_message_id?: number } = {}): TgMessage {
    const entities = opts.entities ?? detectEntities(text);
    const content: Partial<TgMessage> = entities.length ? { text, entities } : { text };
    return this.userStore(userId, content, { replyToId: opts.reply_to_message_id });
  }

  /** A photo: generated, or the picture in `bytes` (the sandbox page's upload) with its size in pixels. */
  userSendPhoto(
    userId: number,
    opts: { caption?: string; caption_entities?: MessageEntity[]; media_group_id?: string; bytes?: Buffer; width?: number; height?: number } = {},
  ): TgMessage {
    const photo = this.world.addPhoto(opts.bytes, opts.width, opts.height);
    const content: Partial<TgMessage> = { photo, ...this.captionContent(opts.caption, opts.caption_entities) };
    return this.userStore(userId, content, { mediaGroupId: opts.media_group_id });
  }

  userSendDocument(
    userId: number,
    opts: { file_name?: string; mime_type?: string; caption?: string; media_group_id?: string } = {},
  ): TgMessage {
    const document = this.world.addFile('document', {
      file_name: opts.file_name ?? 'document.pdf',
      mime_type: opts.mime_type ?? 'application/pdf',
    });
    return this.userStore(userId, { document, ...this.captionContent(opts.caption) }, { mediaGroupId: opts.media_group_id });
  }

  userSend(userId: number, content: Partial<TgMessage>): TgMessage {
    const c = structuredClone(content);
    const mediaGroupId = c.media_group_id;
    delete c.media_group_id;
    for (const k of ['message_id', 'chat', 'from', 'date'] as const) delete c[k];
    this.world.adoptFiles(c);
    // `photo: true` (or sizes without file ids) asks for a generated photo.
    const photo: unknown = c.photo;
    if (photo === true || (Array.isArray(photo) && photo.some((s: { file_id?: unknown }) => typeof s?.file_id !== 'string'))) {
      c.photo = this.world.addPhoto();
    }
    if (typeof c.text === 'string' && !c.entities) {
      const e = detectEntities(c.text);
      if (e.length) c.entities = e;
    }
    return this.userStore(userId, c, { mediaGroupId });
  }

  userEdit(userId: number, messageId: number, change: { text?: string; caption?: string }): TgMessage {
    this.customer(userId);
    return this.editAsUser(userId, userId, messageId, change);
  }

  /** Presses an inline button: customers in their private chat, agents in the support group. */
  userClick(userId: number, messageId: number, data: string): string {
    const rec = this.world.users.get(userId);
    if (!rec) throw new Error(`unknown user ${userId}`);
    const chatId = rec.role === 'agent' ? this.supportChatId : userId;
    const stored = this.world.getStored(chatId, messageId);
    const buttons = stored?.message.reply_markup?.inline_keyboard.flat() ?? [];
    if (!stored || !buttons.some((b) => b.callback_data === data)) {
      throw new Error(`message ${messageId} in chat ${chatId} has no button with callback_data "${data}"`);
    }
    const id = `${BigInt(this.world.botUser.id) * 1000n + BigInt(++this.callbackCounter)}${Math.floor(this.random() * 1e6)}`;
    this.world.callbacks.set(id, { id, createdAt: Date.now(), answered: false });
    this.enqueue({
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

  // ---------------------------------------------------------------- agent actions

  agentSend(
    agentId: number,
    opts: {
      threadId?: number;
      text?: string;
      entities?: MessageEntity[];
      photo?: boolean;
      caption?: string;
      media_group_id?: string;
      reply_to_message_id?: number;
    },
  ): TgMessage {
    const agent = this.agent(agentId);
    let threadId = opts.threadId;
    if (opts.reply_to_message_id !== undefined) {
      const target = this.world.getStored(this.supportChatId, opts.reply_to_message_id);
      if (!target) throw new Error('message to be replied not found');
      if (threadId === undefined && target.message.is_topic_message) threadId = target.message.message_thread_id;
    }
    if (threadId !== undefined) {
      const topic = this.world.topics.get(threadId);
      if (!topic || topic.deleted) throw new Error('message thread not found');
      if (topic.closed && !agent.admin) throw new Error('TOPIC_CLOSED');
    }
    let content: Partial<TgMessage>;
    if (opts.photo) {
      content = { photo: this.world.addPhoto(), ...this.captionContent(opts.caption) };
    } else if (opts.text !== undefined) {
      const entities = opts.entities ?? detectEntities(opts.text);
      content = entities.length ? { text: opts.text, entities } : { text: opts.text };
    } else {
      throw new Error('agentSend needs text or photo');
    }
    const message = this.world.storeMessage(this.supportChatId, {
      from: shortUser(agent.user),
      content,
      threadId,
      replyToId: opts.reply_to_message_id,
      mediaGroupId: opts.media_group_id,
    });
    this.enqueue({ message: structuredClone(message) });
    return structuredClone(message);
  }

  agentEdit(agentId: number, messageId: number, change: { text?: string; caption?: string }): TgMessage {
    this.agent(agentId);
    return this.editAsUser(agentId, this.supportChatId, messageId, change);
  }

  /** A message in some other group the bot is in; a correct bot ignores it. */
  groupSend(fromUser: TgUser, chat: { id: number; title: string }, opts: { text: string }): TgMessage {
    let rec = this.world.chats.get(chat.id);
    if (!rec) {
      const type = chat.id <= -1_000_000_000_000 ? 'supergroup' : 'group';
      rec = this.world.addChat(orderChat({ id: chat.id, title: chat.title, type }), 'group');
    }
    const entities = detectEntities(opts.text);
    const message = this.world.storeMessage(rec.chat.id, {
      from: shortUser(fromUser),
      content: entities.length ? { text: opts.text, entities } : { text: opts.text },
    });
    this.enqueue({ message: structuredClone(message) });
    return structuredClone(message);
  }

  adminDeleteTopic(threadId: number): void {
    const topic = this.world.topics.get(threadId);
    if (!topic || topic.deleted) throw new Error('message thread not found');
    deleteTopic(this.world, this.world.supportChat, topic);
  }

  adminCloseTopic(threadId: number): void {
    this.adminToggleTopic(threadId, true);
  }

  adminReopenTopic(threadId: number): void {
    this.adminToggleTopic(threadId, false);
  }

  enqueueRawUpdate(update: Record<string, unknown>): number {
    return this.enqueue(structuredClone(update) as Omit<Update, 'update_id'>);
  }

  /** Telegram's duplicate delivery: the same update_id again, at the end of the queue. */
  redeliver(updateId: number): void {
    if (!this.queue.redeliver(updateId)) throw new Error(`unknown update ${updateId}`);
  }

  // ---------------------------------------------------------------- inspection

  chatMessages(chatId: number): TgMessage[] {
    const rec = this.world.chats.get(chatId);
    if (!rec) return [];
    return rec.order
      .map((id) => rec.messages.get(id))
      .filter((s) => s !== undefined && !s.deleted)
      .map((s) => structuredClone(s!.message));
  }

  topicMessages(threadId: number): TgMessage[] {
    return this.chatMessages(this.supportChatId).filter(
      (m) => m.message_thread_id === threadId && m.message_id !== threadId,
    );
  }

  topics(): TopicInfo[] {
    return [...this.world.topics.values()].map((t) => {
      const info: TopicInfo = {
        message_thread_id: t.threadId,
        name: t.name,
        icon_color: t.iconColor,
        closed: t.closed,
        deleted: t.deleted,
        createdSeq: t.createdSeq,
      };
      if (t.iconCustomEmojiId) info.icon_custom_emoji_id = t.iconCustomEmojiId;
      return info;
    });
  }

  getMessage(chatId: number, messageId: number): TgMessage | undefined {
    const s = this.world.getStored(chatId, messageId);
    return s ? structuredClone(s.message) : undefined;
  }

  /** The global seq at which a message was stored (deleted messages included). */
  messageSeq(chatId: number, messageId: number): number {
    const s = this.world.chats.get(chatId)?.messages.get(messageId);
    if (!s) throw new Error(`no message ${messageId} in chat ${chatId}`);
    return s.seq;
  }

  /** A file's kind and stored bytes (none for generated files), by file_id; undefined for an unknown id. */
  fileContent(fileId: string): { kind: string; bytes?: Buffer } | undefined {
    const f = this.world.files.get(fileId);
    return f ? { kind: f.kind, bytes: f.bytes } : undefined;
  }

  /** The answer given to a callback query, if any (for assertions on answerCallbackQuery). */
  callbackAnswer(queryId: string): Record<string, unknown> | undefined {
    return this.world.callbacks.get(queryId)?.answer;
  }

  /** The reactions the bot set on a message with setMessageReaction. */
  messageReactions(chatId: number, messageId: number): unknown[] {
    return structuredClone(this.world.chats.get(chatId)?.messages.get(messageId)?.reactions ?? []);
  }

  isBlocked(userId: number): boolean {
    return this.world.users.get(userId)?.blocked ?? false;
  }

  callRecords(method?: string): CallRecord[] {
    return this.records.filter((r) => method === undefined || r.method === method).map((r) => ({ ...r }));
  }

  updatesDelivered(): number[] {
    return [...this.delivered];
  }

  /** Updates waiting for confirmation (or webhook acknowledgement). */
  pendingUpdates(): Update[] {
    return this.queue.list().map((e) => structuredClone(e.update));
  }

  waitFor<T>(probe: () => T | undefined | null | false, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 5_000;
    const what = opts.what ?? 'condition';
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const check = (): void => {
        if (done) return;
        let value: T | undefined | null | false;
        try {
          value = probe();
        } catch {
          value = undefined; // a probe that throws simply is not satisfied yet
        }
        if (value !== undefined && value !== null && value !== false) {
          finish();
          resolve(value);
        }
      };
      const interval = setInterval(check, 50);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`));
      }, timeoutMs);
      const finish = (): void => {
        done = true;
        clearInterval(interval);
        clearTimeout(timer);
        this.off('change', check);
      };
      this.on('change', check);
      check();
    });
  }

  // ---------------------------------------------------------------- faults

  setFault(method: string, fault: Fault | null): void {
    const key = method === '*' ? '*' : (this.methods.get(method.toLowerCase())?.name ?? method);
    if (fault) this.faults.set(key, { ...fault, failNext: fault.failNext ? { ...fault.failNext } : undefined });
    else this.faults.delete(key);
  }

  /** Removes every fault, of every method and of '*'. */
  clearFaults(): void {
    this.faults.clear();
  }

  setLimits(limits: LimitOptions): void {
    this.limiter.setLimits(limits);
    this.limiter.reset();
  }

  setNetworkDown(down: boolean): void {
    this.networkDown = down;
    if (down) {
      this.queue.abortPending();
      this.server?.destroySockets();
    } else {
      this.webhook?.pump();
    }
    this.changed();
  }

  // ---------------------------------------------------------------- internals

  private changed(): void {
    this.emit('change');
  }

  private newUser(p: { first_name: string; last_name?: string; username?: string; language_code?: string; id?: number }): TgUser {
    let id = 'id' in p && p.id !== undefined ? p.id : this.nextUserId++;
    while (p.id === undefined && (this.world.users.has(id) || this.world.chats.has(id))) id = this.nextUserId++;
    if (this.world.users.has(id) || id === this.world.botUser.id) throw new Error(`user ${id} already exists`);
    const user: TgUser = { id, is_bot: false, first_name: p.first_name };
    if (p.last_name) user.last_name = p.last_name;
    if (p.username) user.username = p.username;
    if (p.language_code) user.language_code = p.language_code;
    return user;
  }

  private customer(userId: number): UserRecord {
    const rec = this.world.users.get(userId);
    if (!rec || rec.role !== 'customer') throw new Error(`unknown customer ${userId}`);
    return rec;
  }

  private agent(agentId: number): UserRecord {
    const rec = this.world.users.get(agentId);
    if (!rec || rec.role !== 'agent') throw new Error(`unknown agent ${agentId}`);
    return rec;
  }

  private captionContent(caption?: string, entities?: MessageEntity[]): Partial<TgMessage> {
    if (caption === undefined || caption === '') return {};
    const e = entities ?? detectEntities(caption);
    return e.length ? { caption, caption_entities: e } : { caption };
  }

  private userStore(userId: number, content: Partial<TgMessage>, o: { replyToId?: number; mediaGroupId?: string }): TgMessage {
    const rec = this.customer(userId);
    // Writing to a blocked bot unblocks it first, as Telegram clients do ("Restart bot").
    if (rec.blocked) this.userUnblockBot(userId);
    if (o.replyToId !== undefined && !this.world.getStored(userId, o.replyToId)) {
      throw new Error('message to be replied not found');
    }
    const message = this.world.storeMessage(userId, {
      from: shortUser(rec.user),
      content,
      replyToId: o.replyToId,
      mediaGroupId: o.mediaGroupId,
    });
    this.enqueue({ message: structuredClone(message) });
    return structuredClone(message);
  }

  private editAsUser(userId: number, chatId: number, messageId: number, change: { text?: string; caption?: string }): TgMessage {
    const stored = this.world.getStored(chatId, messageId);
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
    const message = this.world.replaceMessage(chatId, next);
    this.enqueue({ edited_message: structuredClone(message) });
    return structuredClone(message);
  }

  private enqueueMemberChange(rec: UserRecord, from: string, to: string): void {
    const bot = this.world.botShort();
    const newMember: Record<string, unknown> = { user: bot, status: to };
    if (to === 'kicked') newMember.until_date = 0;
    const oldMember: Record<string, unknown> = { user: bot, status: from };
    if (from === 'kicked') oldMember.until_date = 0;
    this.enqueue({
      my_chat_member: {
        chat: World.privateChatOf(rec.user),
        from: shortUser(rec.user),
        date: unixNow(),
        old_chat_member: oldMember,
        new_chat_member: newMember,
      },
    });
  }

  private adminToggleTopic(threadId: number, close: boolean): void {
    const topic = this.world.topics.get(threadId);
    if (!topic || topic.deleted) throw new Error('message thread not found');
    if (topic.closed === close) throw new Error('TOPIC_NOT_MODIFIED');
    topic.closed = close;
    const admin = [...this.world.users.values()].find((u) => u.role === 'agent' && u.admin)?.user ?? this.groupOwner();
    const message = this.world.storeMessage(this.supportChatId, {
      from: shortUser(admin),
      content: close ? { forum_topic_closed: {} } : { forum_topic_reopened: {} },
      threadId,
    });
    this.enqueue({ message: structuredClone(message) });
  }

  private groupOwner(): TgUser {
    this.owner ??= { id: 100_000_001, is_bot: false, first_name: 'Owner' };
    return this.owner;
  }

  private enqueue(body: Omit<Update, 'update_id'> & { update_id?: number }): number {
    const { update, queued } = this.queue.push(body);
    this.world.nextSeq();
    if (queued) this.emit('update', structuredClone(update));
    return update.update_id;
  }

  private installWebhook(settings: WebhookSettings): void {
    this.webhook?.stop();
    this.webhook = new WebhookDeliverer(settings, this.queue, this.retry, {
      log: this.log,
      onDelivered: (id) => {
        this.delivered.push(id);
        this.changed();
      },
      onChange: () => this.changed(),
      onReplyCall: (method, params) => {
        void this.handleApi({ token: this.token, method, params, files: new Map(), signal: new AbortController().signal });
      },
      isPaused: () => this.networkDown,
    });
    this.webhook.pump();
  }

  private removeWebhook(): void {
    this.webhook?.stop();
    this.webhook = undefined;
  }

  private serveFile(token: string, path: string): { status: number; data: Buffer; contentType: string } {
    if (token !== this.token) return { status: 401, data: Buffer.alloc(0), contentType: '' };
    for (const f of this.world.files.values()) {
      if (f.filePath === path) {
        const data = f.bytes ?? Buffer.from(`emulated ${f.kind} ${f.fileId}`.padEnd(Math.min(f.size, 4096), '.'));
        const mime = (Array.isArray(f.descriptor) ? undefined : f.descriptor.mime_type) as string | undefined;
        return { status: 200, data, contentType: mime ?? (f.kind === 'photo' ? 'image/jpeg' : 'application/octet-stream') };
      }
    }
    return { status: 404, data: Buffer.alloc(0), contentType: '' };
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.latencyTimers.delete(entry);
          resolve();
        }, ms),
      };
      this.latencyTimers.add(entry);
    });
  }

  private pickRetryAfter(value: Fault['retryAfter']): number {
    if (Array.isArray(value)) {
      const [min, max] = value;
      return Math.max(1, Math.floor(min + this.random() * (max - min + 1)));
    }
    return Math.max(1, value ?? 1);
  }

  /** Throws the error a configured fault produces for this call, if any. */
  private applyFault(fault: Fault): void {
    const next = fault.failNext;
    if (next && next.count > 0) {
      next.count--;
      throw new ApiError(
        next.code,
        next.description,
        next.retryAfter !== undefined ? { retry_after: next.retryAfter } : undefined,
      );
    }
    if (fault.rate429 && this.random() < fault.rate429) throw tooManyRequests(this.pickRetryAfter(fault.retryAfter));
    if (fault.rate5xx && this.random() < fault.rate5xx) throw new ApiError(502, 'Bad Gateway');
  }

  private async handleApi(req: ApiRequest): Promise<ApiResponse> {
    if (req.token !== this.token) {
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    }
    const def = this.methods.get(req.method.toLowerCase());
    const params = { ...req.params };
    // telegraf repeats the method name as a multipart field; Telegram ignores it.
    if (typeof params.method === 'string' && params.method.toLowerCase() === req.method.toLowerCase()) delete params.method;
    const record: CallRecord = {
      id: ++this.callCounter,
      method: def?.name ?? req.method,
      params: describeParams(params, req.files),
      startSeq: this.world.nextSeq(),
      startedAt: performance.now(),
    };
    this.records.push(record);
    if (!def) return this.finish(record, new ApiError(404, 'Not Found: method not found'));

    // The method's own fault applies first, then the '*' one (which spares getUpdates).
    const faults = [this.faults.get(def.name), def.name !== 'getUpdates' ? this.faults.get('*') : undefined].filter(
      (f): f is Fault => f !== undefined,
    );
    const latency = Math.max(0, ...faults.map((f) => f.latencyMs ?? 0));
    if (latency > 0) await this.delay(latency);
    try {
      for (const fault of faults) this.applyFault(fault);
      const p = new Params(params, req.files);
      const limitChat = def.send ? p.int('chat_id') : undefined;
      if (limitChat !== undefined && this.limiter.enforced) {
        const wait = this.limiter.check(limitChat);
        if (wait > 0) throw tooManyRequests(wait);
      }
      const result = await def.handler(p, { signal: req.signal });
      if (limitChat !== undefined) this.limiter.consume(limitChat, Array.isArray(result) ? Math.max(1, result.length) : 1);
      return this.finish(record, undefined, result);
    } catch (err) {
      if (err instanceof ApiError) return this.finish(record, err);
      this.log(`emulator: ${def.name} crashed: ${(err as Error).stack ?? String(err)}`);
      return this.finish(record, new ApiError(500, `Internal Server Error: ${(err as Error).message}`));
    }
  }

  private finish(record: CallRecord, error?: ApiError, result?: unknown): ApiResponse {
    record.endSeq = this.world.nextSeq();
    record.finishedAt = performance.now();
    let response: ApiResponse;
    if (error) {
      const body: Record<string, unknown> = { ok: false, error_code: error.code, description: error.description };
      if (error.parameters) body.parameters = error.parameters;
      response = { status: error.code, body };
      if (error.parameters?.retry_after !== undefined) response.headers = { 'retry-after': String(error.parameters.retry_after) };
      record.status = error.code;
      record.ok = false;
      record.description = error.description;
    } else {
      const described = result instanceof Described ? result : undefined;
      const value = described ? described.result : result;
      const body: Record<string, unknown> = { ok: true, result: value };
      if (described) body.description = described.description;
      response = { status: 200, body };
      record.status = 200;
      record.ok = true;
      record.result = structuredClone(value);
      if (described) record.description = described.description;
    }
    this.log(`emulator: ${record.method} -> ${record.status}${record.ok ? '' : ` ${record.description ?? ''}`}`);
    this.emit('call', { ...record });
    this.changed();
    return response;
  }
}

function describeParams(params: Record<string, unknown>, files: Map<string, UploadedFile>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && JSON_KEYS.has(k)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON after all; keep the text
      }
    }
    out[k] = v;
  }
  for (const [field, f] of files) {
    out[field] = { upload: true, filename: f.filename, size: f.data.length, mime_type: f.mimeType };
  }
  return out;
}

/** A stable pseudo-random chat_instance per chat, like Telegram's opaque identifier. */
function chatInstance(chatId: number): string {
  return BigInt.asIntN(64, BigInt(chatId) * 6364136223846793005n + 1442695040888963407n).toString();
}

export type { ChatRecord };
