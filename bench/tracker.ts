import { performance } from 'node:perf_hooks';
import type { BotApiEmulator, CallRecord, TgMessage, Update } from '../src/sandbox/emulator';
import { deferred, type Deferred } from './timeouts';

export const ACK_TEXT = /Thank you for your request|Спасибо за ваше обращение/;
/** Every measured message carries a fixed-width token; it finds the customer in the support group. */
const TOKEN = /\breq-[0-9a-f]{6}-[a-z]+-\d{4}\b/g;
/** Methods that post into a chat (each item of copyMessages counts: see groupMessages). */
const SENDS = new Set(['sendMessage', 'copyMessage', 'copyMessages', 'forwardMessage', 'forwardMessages', 'sendPhoto', 'sendDocument', 'sendMediaGroup', 'createForumTopic', 'editForumTopic']);

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
  /** The message was stored in a forum topic: the card that carries it, or its own copy. */
  inTopicAt?: number;
  threadId?: number;
  /** The support group the topic is in. */
  groupId?: number;
  /** True when it arrived inside the ticket card (one group message for both). */
  inCard?: boolean;
  ack: Deferred<void>;
  inTopic: Deferred<void>;
}

interface BotWaiter {
  test: (message: TgMessage) => boolean;
  resolve: (message: TgMessage) => void;
}

/** A createForumTopic call as the emulator served it. */
export interface TopicCall {
  startedAt: number;
  finishedAt: number;
}

/**
 * Listens to the emulator's events (not polling its state: scanning the support chat for every probe
 * would cost O(messages) per check and load the process that generates the load) and stamps each
 * sample as its message moves through the bot.
 */
export class Tracker {
  private readonly byToken = new Map<string, Sample>();
  private readonly byUser = new Map<number, Sample>();
  private readonly byUpdate = new Map<number, Sample>();
  private readonly waiters = new Map<number, Set<BotWaiter>>();
  /** createForumTopic calls by `group:thread` (thread ids repeat across groups). */
  private readonly topicCalls = new Map<string, TopicCall>();
  private readonly botId: number;
  private readonly groups: Set<number>;
  /** Messages posted into the support group (items of copyMessages each), and the calls that posted them. */
  groupMessages = 0;
  groupCalls = 0;
  groupCallsByMethod: Record<string, number> = {};
  /** Flood-control refusals the bot met (429), anywhere. */
  tooManyRequests = 0;
  /** Calls that failed otherwise (not getUpdates), anywhere. */
  failedCalls = 0;

  constructor(emu: BotApiEmulator, groups: number[] = [emu.supportChatId]) {
    this.botId = emu.botUser.id;
    this.groups = new Set(groups);
    emu.on('update', (update: Update) => this.onUpdate(update));
    emu.on('call', (record: CallRecord) => this.onCall(record));
    emu.on('message', (message: TgMessage, chatId: number) => this.onMessage(message, chatId));
  }

  track(token: string, text: string, userId: number): Sample {
    if (!text.endsWith(token) && !text.includes(token)) throw new Error(`bench bug: "${text}" does not carry token ${token}`);
    const sample: Sample = { token, text, userId, ack: deferred<void>(), inTopic: deferred<void>() };
    this.byToken.set(token, sample);
    this.byUser.set(userId, sample);
    return sample;
  }

  topicCall(sample: Pick<Sample, 'threadId' | 'groupId'>): TopicCall | undefined {
    return sample.threadId === undefined ? undefined : this.topicCalls.get(`${sample.groupId}:${sample.threadId}`);
  }

  /**
   * Resolves with the first bot message sent or edited in the customer's chat that passes `test`. Call it
   * before the action that causes the message, so that a fast answer cannot be missed.
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

  /** The sample whose token is the last one in the text (a card's own lines come before the message). */
  private sampleOf(text: string | undefined): Sample | undefined {
    const tokens = text?.match(TOKEN);
    return tokens ? this.byToken.get(tokens[tokens.length - 1]) : undefined;
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
    if (record.ok === false && record.method !== 'getUpdates') {
      if (record.status === 429) this.tooManyRequests++;
      else this.failedCalls++;
    }
    if (!record.ok) return;
    const chatId = Number((record.params as { chat_id?: unknown }).chat_id);
    if (this.groups.has(chatId) && SENDS.has(record.method)) {
      this.groupCalls++;
      this.groupCallsByMethod[record.method] = (this.groupCallsByMethod[record.method] ?? 0) + 1;
      this.groupMessages += Array.isArray(record.result) ? Math.max(1, record.result.length) : 1;
    }
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
      const result = record.result as { message_thread_id: number } | undefined;
      if (result) this.topicCalls.set(`${chatId}:${result.message_thread_id}`, { startedAt: record.startedAt, finishedAt: record.finishedAt ?? record.startedAt });
    }
  }

  private onMessage(message: TgMessage, chatId: number): void {
    if (message.from?.id !== this.botId) return;
    const now = performance.now();
    if (this.groups.has(chatId)) {
      // The customer's message in a topic: inside the card (its text or caption ends with the
      // customer's text) or as its own copy (exactly the customer's text).
      const body = message.text ?? message.caption;
      const sample = this.sampleOf(body);
      if (!sample || !body || !body.endsWith(sample.text) || message.message_thread_id === undefined || sample.inTopicAt !== undefined) return;
      sample.inTopicAt = now;
      sample.threadId = message.message_thread_id;
      sample.groupId = chatId;
      sample.inCard = body !== sample.text;
      sample.inTopic.resolve();
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
