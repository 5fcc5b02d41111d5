import { performance } from 'node:perf_hooks';
import type { BotApiEmulator, CallRecord, TgMessage, Update } from '../src/sandbox/emulator';
import { deferred, type Deferred } from './timeouts';

export const ACK_TEXT = /Thank you for your request|Спасибо за ваше обращение/;
/** Every measured message carries a fixed-width token; it finds the customer in topic names and copies. */
const TOKEN = /\breq-[0-9a-f]{6}-[a-z]+-\d{4}\b/;

/** One customer's first message and the moments the benchmark saw along its way (performance.now() ms). */
export interface Sample {
  token: string;
  text: string;
  userId: number;
  /** Just before `userSendText`: the customer's message is enqueued for getUpdates synchronously. */
  sentAt?: number;
  messageId?: number;
  updateId?: number;
  /** The getUpdates response that handed the update to the bot was sent. */
  deliveredAt?: number;
  /** The acknowledgement's sendMessage reached the emulator. */
  ackCallAt?: number;
  /** The acknowledgement was stored in the customer's chat (what the customer sees). */
  ackAt?: number;
  ackIsReply?: boolean;
  topicCallAt?: number;
  topicCreatedAt?: number;
  threadId?: number;
  /** The bot's copy of the message was stored in the ticket's forum topic. */
  copyAt?: number;
  copyThreadId?: number;
  ack: Deferred<void>;
  copy: Deferred<void>;
}

interface BotWaiter {
  test: (message: TgMessage) => boolean;
  resolve: (message: TgMessage) => void;
}

/**
 * Listens to the emulator's events (not polling its state: the benchmark shares the event loop with the
 * app, and scanning the support chat for every probe would cost O(messages) per check and skew the
 * numbers) and stamps each sample as its message moves through the bot.
 */
export class Tracker {
  private readonly byToken = new Map<string, Sample>();
  private readonly byUser = new Map<number, Sample>();
  private readonly byUpdate = new Map<number, Sample>();
  private readonly waiters = new Map<number, Set<BotWaiter>>();
  private readonly botId: number;
  private readonly supportChatId: number;

  constructor(private readonly emu: BotApiEmulator) {
    this.botId = emu.botUser.id;
    this.supportChatId = emu.supportChatId;
    emu.on('update', (update: Update) => this.onUpdate(update));
    emu.on('call', (record: CallRecord) => this.onCall(record));
    emu.on('message', (message: TgMessage, chatId: number) => this.onMessage(message, chatId));
  }

  track(token: string, text: string, userId: number): Sample {
    if (!TOKEN.test(text) || TOKEN.exec(text)?.[0] !== token) throw new Error(`bench bug: "${text}" does not carry token ${token}`);
    const sample: Sample = { token, text, userId, ack: deferred<void>(), copy: deferred<void>() };
    this.byToken.set(token, sample);
    this.byUser.set(userId, sample);
    return sample;
  }

  /**
   * Resolves with the first bot message sent or edited in the customer's chat that passes `test`. Call it
   * before the action that causes the message, so that a fast answer cannot be missed. Event-driven
   * rather than emu.waitFor: its probes run on every change of the emulator for every waiting customer.
   */
  waitForBot(userId: number, test: (message: TgMessage) => boolean, timeoutMs: number, what: string): Promise<TgMessage> {
    return new Promise<TgMessage>((resolve, reject) => {
      const set = this.waiters.get(userId) ?? new Set<BotWaiter>();
      this.waiters.set(userId, set);
      const waiter: BotWaiter = {
        test,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        set.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      set.add(waiter);
    });
  }

  private notifyWaiters(chatId: number, message: TgMessage): void {
    const set = this.waiters.get(chatId);
    if (!set) return;
    for (const waiter of set) {
      if (!waiter.test(message)) continue;
      set.delete(waiter);
      waiter.resolve(message);
    }
    if (set.size === 0) this.waiters.delete(chatId);
  }

  private sampleOf(text: string | undefined): Sample | undefined {
    const token = text ? TOKEN.exec(text)?.[0] : undefined;
    return token ? this.byToken.get(token) : undefined;
  }

  private onUpdate(update: Update): void {
    const message = update.message;
    if (!message || message.chat.id !== message.from?.id) return;
    const sample = this.sampleOf(message.text);
    if (sample && sample.text === message.text && sample.updateId === undefined) {
      sample.updateId = update.update_id;
      this.byUpdate.set(update.update_id, sample);
    }
  }

  private onCall(record: CallRecord): void {
    if (!record.ok) return;
    if (record.method === 'getUpdates' && Array.isArray(record.result)) {
      for (const update of record.result as Update[]) {
        const sample = this.byUpdate.get(update.update_id);
        if (sample && sample.deliveredAt === undefined) sample.deliveredAt = record.finishedAt;
      }
    } else if (record.method === 'editMessageText') {
      // An edit is not a new message: the emulator reports it only as a call (its result is the message).
      const result = record.result as TgMessage | true | undefined;
      if (typeof result === 'object' && result.chat.id > 0) this.notifyWaiters(result.chat.id, result);
    } else if (record.method === 'sendMessage') {
      const result = record.result as TgMessage | undefined;
      if (!result || result.chat.id <= 0 || !ACK_TEXT.test(result.text ?? '')) return;
      const sample = this.byUser.get(result.chat.id);
      if (sample && sample.ackCallAt === undefined) sample.ackCallAt = record.startedAt;
    } else if (record.method === 'createForumTopic') {
      const result = record.result as { message_thread_id: number; name: string } | undefined;
      const sample = this.sampleOf(result?.name);
      if (sample && result && sample.threadId === undefined) {
        sample.topicCallAt = record.startedAt;
        sample.topicCreatedAt = record.finishedAt;
        sample.threadId = result.message_thread_id;
      }
    }
  }

  private onMessage(message: TgMessage, chatId: number): void {
    if (message.from?.id !== this.botId) return;
    const now = performance.now();
    if (chatId === this.supportChatId) {
      // The copy: a bot message in a topic whose text is exactly the customer's (the card and the
      // topic's service message do not repeat it).
      const sample = this.sampleOf(message.text);
      if (!sample || message.text !== sample.text || message.message_thread_id === undefined || sample.copyAt !== undefined) return;
      sample.copyAt = now;
      sample.copyThreadId = message.message_thread_id;
      sample.copy.resolve();
      return;
    }
    if (chatId > 0) this.notifyWaiters(chatId, message);
    if (chatId <= 0 || !ACK_TEXT.test(message.text ?? '')) return;
    const sample = this.byUser.get(chatId);
    if (!sample || sample.ackAt !== undefined) return;
    sample.ackAt = now;
    sample.ackIsReply = sample.messageId !== undefined && message.reply_to_message?.message_id === sample.messageId;
    sample.ack.resolve();
  }
}
