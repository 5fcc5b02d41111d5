import { captionContent, editAsUser, type TextChange } from './actors';
import type { EmulatorCore } from './core';
import { deleteTopic } from './methods';
import { orderChat, shortUser, unixNow, type UserRecord } from './state';
import { detectEntities } from './text-format';
import type { MessageEntity, TgChat, TgMessage, TgUser } from './types';

export interface AgentSendOptions {
  /** The support group to write in (default: the main one). */
  chatId?: number;
  threadId?: number;
  text?: string;
  entities?: MessageEntity[];
  photo?: boolean;
  caption?: string;
  media_group_id?: string;
  reply_to_message_id?: number;
}

/** The placeholder sender of messages an anonymous administrator writes (Telegram's GroupAnonymousBot). */
export const GROUP_ANONYMOUS_BOT: TgUser = { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' };

/** What happens in groups: agents writing in the support group, its admins managing topics, other groups. */
export class GroupActors {
  private owner?: TgUser;

  constructor(private readonly core: EmulatorCore) {}

  agentSend(agentId: number, opts: AgentSendOptions): TgMessage {
    const { world } = this.core;
    const supportChatId = opts.chatId ?? this.core.supportChatId;
    const agent = this.agent(agentId);
    let threadId = opts.threadId;
    if (opts.reply_to_message_id !== undefined) {
      const target = world.getStored(supportChatId, opts.reply_to_message_id);
      if (!target) throw new Error('message to be replied not found');
      if (threadId === undefined && target.message.is_topic_message) threadId = target.message.message_thread_id;
    }
    if (threadId !== undefined) {
      const topic = world.topic(supportChatId, threadId);
      if (!topic || topic.deleted) throw new Error('message thread not found');
      if (topic.closed && !agent.admin) throw new Error('TOPIC_CLOSED');
    }
    let content: Partial<TgMessage>;
    if (opts.photo) {
      content = { photo: world.addPhoto(), ...captionContent(opts.caption) };
    } else if (opts.text !== undefined) {
      const entities = opts.entities ?? detectEntities(opts.text);
      content = entities.length ? { text: opts.text, entities } : { text: opts.text };
    } else {
      throw new Error('agentSend needs text or photo');
    }
    const message = world.storeMessage(supportChatId, {
      from: shortUser(agent.user),
      content,
      threadId,
      replyToId: opts.reply_to_message_id,
      mediaGroupId: opts.media_group_id,
    });
    this.core.enqueueSeen(supportChatId, { message: structuredClone(message) });
    return structuredClone(message);
  }

  /**
   * An administrator who writes anonymously, on behalf of the group: Telegram sends the message from the
   * placeholder user GroupAnonymousBot with `sender_chat` set to the group itself.
   */
  anonymousAdminSend(opts: { threadId: number; text: string; author_signature?: string; chatId?: number }): TgMessage {
    const { world } = this.core;
    const supportChatId = opts.chatId ?? this.core.supportChatId;
    const topic = world.topic(supportChatId, opts.threadId);
    if (!topic || topic.deleted) throw new Error('message thread not found');
    const entities = detectEntities(opts.text);
    const chat = world.chats.get(supportChatId)!.chat;
    const message = world.storeMessage(supportChatId, {
      from: { ...GROUP_ANONYMOUS_BOT },
      content: entities.length ? { text: opts.text, entities } : { text: opts.text },
      threadId: opts.threadId,
      extra: { sender_chat: structuredClone(chat), ...(opts.author_signature ? { author_signature: opts.author_signature } : {}) },
    });
    this.core.enqueueSeen(supportChatId, { message: structuredClone(message) });
    return structuredClone(message);
  }

  /**
   * An agent is promoted to administrator or demoted to a plain member: a `chat_member` update, which
   * Telegram sends only to a bot that is an administrator and lists `chat_member` in allowed_updates.
   */
  setAgentAdmin(agentId: number, admin: boolean): void {
    const rec = this.agent(agentId);
    if (rec.admin === admin) return;
    const member = (isAdmin: boolean) =>
      isAdmin ? { user: shortUser(rec.user), status: 'administrator', can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_manage_topics: true } : { user: shortUser(rec.user), status: 'member' };
    const oldMember = member(rec.admin);
    rec.admin = admin;
    if (this.core.world.botStatus !== 'administrator') return;
    this.core.enqueue({
      chat_member: { chat: structuredClone(this.core.world.supportChat.chat), from: this.groupOwner(), date: unixNow(), old_chat_member: oldMember, new_chat_member: member(admin) },
    });
  }

  agentEdit(agentId: number, messageId: number, change: TextChange, chatId = this.core.supportChatId): TgMessage {
    this.agent(agentId);
    return editAsUser(this.core, agentId, chatId, messageId, change);
  }

  /**
   * Another support group: a forum supergroup (unless `isForum: false`) where the bot and the admin
   * agents have the same standing as in the main one (one membership state for all support groups).
   */
  addSupportGroup(options: { id: number; title?: string; isForum?: boolean }): number {
    const chat: TgChat = { id: options.id, title: options.title ?? `Support ${options.id}`, type: 'supergroup' };
    if (options.isForum ?? true) chat.is_forum = true;
    this.core.world.addChat(orderChat(chat), 'support');
    return options.id;
  }

  groupSend(fromUser: TgUser, chat: { id: number; title: string }, opts: { text: string }): TgMessage {
    const { world } = this.core;
    let rec = world.chats.get(chat.id);
    if (!rec) {
      const type = chat.id <= -1_000_000_000_000 ? 'supergroup' : 'group';
      rec = world.addChat(orderChat({ id: chat.id, title: chat.title, type }), 'group');
    }
    const entities = detectEntities(opts.text);
    const message = world.storeMessage(rec.chat.id, {
      from: shortUser(fromUser),
      content: entities.length ? { text: opts.text, entities } : { text: opts.text },
    });
    this.core.enqueue({ message: structuredClone(message) });
    return structuredClone(message);
  }

  adminDeleteTopic(threadId: number, chatId = this.core.supportChatId): void {
    const { world } = this.core;
    const topic = world.topic(chatId, threadId);
    if (!topic || topic.deleted) throw new Error('message thread not found');
    deleteTopic(world, world.chats.get(chatId)!, topic);
  }

  adminToggleTopic(threadId: number, close: boolean, chatId = this.core.supportChatId): void {
    const { world } = this.core;
    const supportChatId = chatId;
    const topic = world.topic(chatId, threadId);
    if (!topic || topic.deleted) throw new Error('message thread not found');
    if (topic.closed === close) throw new Error('TOPIC_NOT_MODIFIED');
    topic.closed = close;
    const message = world.storeMessage(supportChatId, {
      from: shortUser(this.actingAdmin()),
      content: close ? { forum_topic_closed: {} } : { forum_topic_reopened: {} },
      threadId,
    });
    this.core.enqueueSeen(supportChatId, { message: structuredClone(message) });
  }

  /** Who acts as the group's admin: the first admin agent, else the group's creator. */
  actingAdmin(): TgUser {
    return [...this.core.world.users.values()].find((u) => u.role === 'agent' && u.admin)?.user ?? this.groupOwner();
  }

  private agent(agentId: number): UserRecord {
    const rec = this.core.world.users.get(agentId);
    if (!rec || rec.role !== 'agent') throw new Error(`unknown agent ${agentId}`);
    return rec;
  }

  /** The group's creator, who closes topics when no agent is an admin. */
  private groupOwner(): TgUser {
    this.owner ??= { id: 100_000_001, is_bot: false, first_name: 'Owner' };
    return this.owner;
  }
}
