import type { EventEmitter } from 'node:events';
import type { EmulatorHttpServer } from './http-server';
import { botInSupportGroup } from './membership';
import { orderChat, World } from './state';
import type { CallRecord, EmulatorOptions, TgChat, TgUser, Update } from './types';
import { UpdateQueue } from './update-queue';
import type { WebhookDeliverer } from './webhook';

const DEFAULT_TOKEN = '123456:TEST-TOKEN';
const DEFAULT_SUPPORT_CHAT_ID = -1001971186208;

/**
 * The state every part of the emulator shares: the world, the update queue, the call log and the
 * transport's moving pieces. Events are emitted on the facade, which is the EventEmitter tests listen to.
 */
export class EmulatorCore {
  readonly token: string;
  readonly supportChatId: number;
  readonly world: World;
  readonly queue: UpdateQueue;
  readonly log: (line: string) => void;
  readonly random: () => number;
  readonly retry: { baseMs: number; maxMs: number };
  readonly records: CallRecord[] = [];
  readonly delivered: number[] = [];
  server?: EmulatorHttpServer;
  webhook?: WebhookDeliverer;
  networkDown = false;

  constructor(
    options: EmulatorOptions,
    private readonly events: EventEmitter,
  ) {
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
      onMessage: (m, chatId) => this.events.emit('message', m, chatId),
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
  }

  emit(event: string, ...args: unknown[]): void {
    this.events.emit(event, ...args);
  }

  changed(): void {
    this.events.emit('change');
  }

  /** Queues an update; the seq it takes orders it against calls and messages. */
  enqueue(body: Omit<Update, 'update_id'> & { update_id?: number }): number {
    const { update, queued } = this.queue.push(body);
    this.world.nextSeq();
    if (queued) this.events.emit('update', structuredClone(update));
    return update.update_id;
  }

  /**
   * Queues an update about something said in a chat, unless the bot is not in it: Telegram never sends
   * a removed bot the group's traffic, not even after it is re-added.
   */
  enqueueSeen(chatId: number, body: Omit<Update, 'update_id'>): number | undefined {
    if (chatId === this.supportChatId && !botInSupportGroup(this.world)) return undefined;
    return this.enqueue(body);
  }
}
