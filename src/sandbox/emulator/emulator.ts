import { EventEmitter } from 'node:events';
import { Actors, type NewUser, type TextChange, type UserDocumentOptions, type UserPhotoOptions } from './actors';
import { GroupActors, type AgentSendOptions } from './agents';
import { ApiCalls } from './calls';
import { EmulatorCore } from './core';
import { Faults } from './faults';
import type { HttpExtension } from './http-server';
import { Inspection } from './inspection';
import { BotMembership } from './membership';
import { createBotApi } from './methods';
import { shortUser, type ChatRecord } from './state';
import type {
  BotGroupStatus, BotRights, CallRecord, EmulatorOptions, Fault, LimitOptions, MessageEntity, TgMessage, TgUser, TopicInfo, Update,
} from './types';
import { Transport } from './transport';

/**
 * A stateful, in-process Telegram Bot API server for tests, benchmarks and the sandbox page.
 * The bot talks to it over real HTTP (`apiRoot`); tests drive customers and agents through the
 * control methods below and inspect what the bot did.
 *
 * This class is the facade: the world and queue live in EmulatorCore, and each group of methods
 * delegates to its part (actors, inspection, faults, transport, API calls).
 */
export class BotApiEmulator extends EventEmitter {
  readonly token: string;
  readonly supportChatId: number;

  private readonly core: EmulatorCore;
  private readonly transport: Transport;
  private readonly calls: ApiCalls;
  private readonly faults: Faults;
  private readonly actors: Actors;
  private readonly groups: GroupActors;
  private readonly inspection: Inspection;
  private readonly membership: BotMembership;

  constructor(options: EmulatorOptions = {}) {
    super();
    this.setMaxListeners(0);
    const core = (this.core = new EmulatorCore(options, this));
    this.token = core.token;
    this.supportChatId = core.supportChatId;
    this.transport = new Transport(core, (req) => this.calls.handle(req));
    const methods = createBotApi({
      world: core.world,
      queue: core.queue,
      botCanPostInClosedTopics: options.botCanPostInClosedTopics ?? true,
      callbackTtlMs: options.callbackQueryTtlMs ?? 150_000,
      random: core.random,
      enqueue: (body) => core.enqueue(body),
      webhook: () => core.webhook,
      setWebhook: (settings) => this.transport.installWebhook(settings),
      removeWebhook: () => this.transport.removeWebhook(),
    });
    this.faults = new Faults(core, methods, options.limits);
    this.calls = new ApiCalls(core, methods, this.faults);
    this.actors = new Actors(core);
    this.groups = new GroupActors(core);
    this.inspection = new Inspection(core, this);
    this.membership = new BotMembership(core, () => this.groups.actingAdmin());
  }

  // ---------------------------------------------------------------- lifecycle

  get apiRoot(): string {
    return this.transport.root;
  }

  get botUser(): TgUser {
    return shortUser(this.core.world.botUser);
  }

  start(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.transport.start(port, host);
  }

  async stop(): Promise<void> {
    this.core.queue.abortPending();
    this.transport.removeWebhook();
    this.faults.releaseDelays();
    await this.transport.close();
  }

  /** Lets another module serve extra paths on this server (the sandbox page); undefined removes it. */
  useHttpExtension(handler: HttpExtension | undefined): void {
    this.transport.useHttpExtension(handler);
  }

  /** Next value of the one global counter that orders calls, messages and updates. */
  seq(): number {
    return this.core.world.nextSeq();
  }

  // ---------------------------------------------------------------- actors

  createUser(p: NewUser): TgUser {
    return this.actors.createUser(p);
  }

  createAgent(p: { first_name: string; last_name?: string; username?: string; admin?: boolean }): TgUser {
    return this.actors.createAgent(p);
  }

  // ---------------------------------------------------------------- customer actions

  userSendText(userId: number, text: string, opts: { entities?: MessageEntity[]; reply_to_message_id?: number } = {}): TgMessage {
    return this.actors.userSendText(userId, text, opts);
  }

  /** A photo: generated, or the picture in `bytes` (the sandbox page's upload) with its size in pixels. */
  userSendPhoto(userId: number, opts: UserPhotoOptions = {}): TgMessage {
    return this.actors.userSendPhoto(userId, opts);
  }

  userSendDocument(userId: number, opts: UserDocumentOptions = {}): TgMessage {
    return this.actors.userSendDocument(userId, opts);
  }

  userSend(userId: number, content: Partial<TgMessage>): TgMessage {
    return this.actors.userSend(userId, content);
  }

  userEdit(userId: number, messageId: number, change: TextChange): TgMessage {
    return this.actors.userEdit(userId, messageId, change);
  }

  /** Presses an inline button: customers in their private chat, agents in the support group. */
  userClick(userId: number, messageId: number, data: string, inChat?: number): string {
    return this.actors.userClick(userId, messageId, data, inChat);
  }

  userBlockBot(userId: number): void {
    this.actors.userBlockBot(userId);
  }

  userUnblockBot(userId: number): void {
    this.actors.userUnblockBot(userId);
  }

  // ---------------------------------------------------------------- agent actions

  agentSend(agentId: number, opts: AgentSendOptions): TgMessage {
    return this.groups.agentSend(agentId, opts);
  }

  /** A message in a topic from an administrator writing anonymously, on behalf of the group. */
  anonymousAdminSend(opts: { threadId: number; text: string; author_signature?: string; chatId?: number }): TgMessage {
    return this.groups.anonymousAdminSend(opts);
  }

  /** Promotes an agent to administrator of the support group, or demotes them (a chat_member update). */
  setAgentAdmin(agentId: number, admin: boolean): void {
    this.groups.setAgentAdmin(agentId, admin);
  }

  agentEdit(agentId: number, messageId: number, change: TextChange, chatId?: number): TgMessage {
    return this.groups.agentEdit(agentId, messageId, change, chatId);
  }

  /** Another support group (a forum unless `isForum: false`), where the bot and admin agents stand as in the main one. */
  addSupportGroup(options: { id: number; title?: string; isForum?: boolean }): number {
    return this.groups.addSupportGroup(options);
  }

  /** A message in some other group the bot is in; a correct bot ignores it. */
  groupSend(fromUser: TgUser, chat: { id: number; title: string }, opts: { text: string }): TgMessage {
    return this.groups.groupSend(fromUser, chat, opts);
  }

  adminDeleteTopic(threadId: number, chatId?: number): void {
    this.groups.adminDeleteTopic(threadId, chatId);
  }

  adminCloseTopic(threadId: number, chatId?: number): void {
    this.groups.adminToggleTopic(threadId, true, chatId);
  }

  adminReopenTopic(threadId: number, chatId?: number): void {
    this.groups.adminToggleTopic(threadId, false, chatId);
  }

  enqueueRawUpdate(update: Record<string, unknown>): number {
    return this.core.enqueue(structuredClone(update) as Omit<Update, 'update_id'>);
  }

  /** Telegram's duplicate delivery: the same update_id again, at the end of the queue. */
  redeliver(updateId: number): void {
    if (!this.core.queue.redeliver(updateId)) throw new Error(`unknown update ${updateId}`);
  }

  // ---------------------------------------------------------------- the bot's membership in the support group

  /** administrator (the default, with botRights), member (demoted), left (removed) or kicked (banned). */
  get botGroupStatus(): BotGroupStatus {
    return this.membership.status;
  }

  /** An admin removes (or bans) the bot; `by` defaults to an admin agent or the group's owner. */
  removeBotFromGroup(opts: { by?: TgUser; banned?: boolean } = {}): void {
    this.membership.remove(opts);
  }

  /** The bot becomes a plain member without admin rights (this also re-adds a removed bot). */
  demoteBot(opts: { by?: TgUser } = {}): void {
    this.membership.demote(opts);
  }

  /** The bot is (re-)promoted to administrator; rights not given are granted. */
  restoreBotAsAdmin(rights: Partial<BotRights> = {}, opts: { by?: TgUser } = {}): void {
    this.membership.restore(rights, opts);
  }

  /** Changes some admin rights of the bot, which stays administrator (throws if it is not one). */
  setBotRights(rights: Partial<BotRights>, opts: { by?: TgUser } = {}): void {
    this.membership.setRights(rights, opts);
  }

  // ---------------------------------------------------------------- inspection

  chatMessages(chatId: number): TgMessage[] {
    return this.inspection.chatMessages(chatId);
  }

  topicMessages(threadId: number, chatId?: number): TgMessage[] {
    return this.inspection.topicMessages(threadId, chatId);
  }

  topics(): TopicInfo[] {
    return this.inspection.topics();
  }

  getMessage(chatId: number, messageId: number): TgMessage | undefined {
    return this.inspection.getMessage(chatId, messageId);
  }

  /** The global seq at which a message was stored (deleted messages included). */
  messageSeq(chatId: number, messageId: number): number {
    return this.inspection.messageSeq(chatId, messageId);
  }

  /** A file's kind and stored bytes (none for generated files), by file_id; undefined for an unknown id. */
  fileContent(fileId: string): { kind: string; bytes?: Buffer } | undefined {
    return this.inspection.fileContent(fileId);
  }

  /** The answer given to a callback query, if any (for assertions on answerCallbackQuery). */
  callbackAnswer(queryId: string): Record<string, unknown> | undefined {
    return this.inspection.callbackAnswer(queryId);
  }

  /** The reactions the bot set on a message with setMessageReaction. */
  messageReactions(chatId: number, messageId: number): unknown[] {
    return this.inspection.messageReactions(chatId, messageId);
  }

  isBlocked(userId: number): boolean {
    return this.inspection.isBlocked(userId);
  }

  callRecords(method?: string): CallRecord[] {
    return this.inspection.callRecords(method);
  }

  updatesDelivered(): number[] {
    return this.inspection.updatesDelivered();
  }

  /** Updates waiting for confirmation (or webhook acknowledgement). */
  pendingUpdates(): Update[] {
    return this.inspection.pendingUpdates();
  }

  waitFor<T>(probe: () => T | undefined | null | false, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    return this.inspection.waitFor(probe, opts);
  }

  // ---------------------------------------------------------------- faults

  setFault(method: string, fault: Fault | null): void {
    this.faults.setFault(method, fault);
  }

  /** Removes every fault, of every method and of '*'. */
  clearFaults(): void {
    this.faults.clearFaults();
  }

  setLimits(limits: LimitOptions): void {
    this.faults.setLimits(limits);
  }

  setNetworkDown(down: boolean): void {
    this.faults.setNetworkDown(down);
  }
}

export type { ChatRecord };
