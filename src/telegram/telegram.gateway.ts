import { Inject, Injectable, Logger } from '@nestjs/common';
import { Telegram } from 'telegraf';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics.service';
import type { Opts, Telegram as Methods } from 'telegraf/typings/core/types/typegram';
import { JobDeferred } from '../jobs/job-queue';
import { SendScheduler } from './send-scheduler';
import { TelegramCallError, classifyTelegramError } from './telegram-error';

type Method = keyof Methods;
type Result<M extends Method> = ReturnType<Methods[M]>;

/**
 * Who is waiting for a call. Customer-facing sends (acknowledgements, agent answers) are `customer`;
 * support-group traffic (topics, copies, renames) is `group`; a topic's status icon is `status`, sent
 * only when nothing else waits for its group. The lane is the seam for priorities.
 */
export type Lane = 'customer' | 'group' | 'status';

export interface CallOptions {
  lane?: Lane;
  /** Whose work this is (a ticket): the group lane serves waiting keys in turn. */
  key?: string | number;
  /** Ahead of the lane's turns (a new ticket's card with the customer's first message). */
  first?: boolean;
  /** How many times a 429 or a transient failure is retried inside this call before it is thrown. */
  retries?: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Methods that post into a chat and so count against Telegram's flood limits. */
const SENDS = new Set<string>([
  'sendMessage', 'copyMessage', 'copyMessages', 'forwardMessage', 'forwardMessages', 'sendPhoto', 'sendDocument', 'sendVideo',
  'sendVoice', 'sendAudio', 'sendAnimation', 'sendSticker', 'sendVideoNote', 'sendMediaGroup', 'createForumTopic', 'editForumTopic',
]);
/**
 * Sends whose repetition posts a second message (or topic): repeating one after an attempt that got no
 * answer is counted, since the first may have been carried out (editForumTopic only renames again).
 */
const POSTS = new Set([...SENDS].filter((method) => method !== 'editForumTopic'));
/**
 * Edits count against a group's budget (Telegram limits group edits to about 20/min), but a customer's
 * menu edits in a private chat do not hold up their acknowledgement.
 */
const EDITS = new Set<string>(['editMessageText', 'editMessageCaption', 'editMessageReplyMarkup']);

/** How many messages a call posts: each item of copyMessages, forwardMessages and sendMediaGroup counts. */
function messagesPosted(method: string, payload: unknown): number {
  const p = payload as { message_ids?: unknown[]; media?: unknown[] };
  if (method === 'copyMessages' || method === 'forwardMessages') return p.message_ids?.length ?? 1;
  if (method === 'sendMediaGroup') return p.media?.length ?? 1;
  return 1;
}

function limitedChat(method: string, payload: unknown): number {
  const chatId = Number((payload as { chat_id?: number | string }).chat_id);
  if (SENDS.has(method)) return chatId;
  if (EDITS.has(method) && chatId < 0) return chatId;
  return NaN;
}
/** The group a call involves (as the target, or as the source of a copy), if any. */
function groupOf(payload: unknown): number | undefined {
  const p = payload as { chat_id?: number | string; from_chat_id?: number | string };
  for (const id of [p.chat_id, p.from_chat_id].map(Number)) if (Number.isFinite(id) && id < 0) return id;
  return undefined;
}

/** A retry_after longer than this is not waited out inline; the caller (a durable job) retries later. */
const MAX_INLINE_WAIT_S = 10;

/**
 * The one door for every outbound Telegram call: timeouts, error classification and retries live
 * here, so that no service talks to telegraf directly.
 */
@Injectable()
export class TelegramGateway {
  private readonly logger = new Logger('Telegram');
  private readonly client: Telegram;
  private readonly noAccessListeners: ((chatId: number, error: TelegramCallError) => void)[] = [];
  @Inject(Metrics) private readonly metrics: Metrics;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    // Paced in memory; with several instances, SharedBudget sets the part of the limits this one spends.
    private readonly scheduler: SendScheduler,
  ) {
    // Its own client (not the bot's), so update handling and outbound traffic stay separate concerns.
    this.client = new Telegram(config.botToken, { apiRoot: config.telegramApiRoot, webhookReply: false });
  }

  async call<M extends Method>(method: M, payload: Opts<M>, options: CallOptions = {}): Promise<Result<M>> {
    const retries = options.retries ?? 2;
    const chatId = limitedChat(method, payload);
    const count = messagesPosted(method, payload);
    // The last attempt got no answer (a timeout, a dropped connection): Telegram may have carried it out.
    let outcomeUnknown = false;
    for (let attempt = 0; ; attempt++) {
      const permit = Number.isFinite(chatId) ? await this.scheduler.acquire(chatId, options.lane ?? 'group', { count, key: options.key, first: options.first }) : undefined;
      try {
        if (outcomeUnknown && POSTS.has(method)) this.metrics.unknownOutcomeRepeat(method);
        const result = await this.once(method, payload);
        permit?.release(true);
        this.metrics.telegramCall(method, 'ok', true);
        if (permit && SENDS.has(method)) this.metrics.telegramPosted(chatId < 0 ? 'group' : 'private', count);
        return result;
      } catch (raw) {
        const error = this.classify(method, payload, raw);
        outcomeUnknown = error.outcomeUnknown;
        this.metrics.telegramCall(method, error.kind, error.answered && error.kind !== 'transient');
        // Answered with an error, nothing was posted: the slot is free again. No answer: it may have been.
        permit?.release(!error.answered);
        if (error.kind === 'retry-after' && Number.isFinite(chatId)) this.scheduler.penalize(chatId, error.retryAfterSeconds ?? 1);
        const canWait = error.kind === 'transient' || (error.kind === 'retry-after' && (error.retryAfterSeconds ?? 1) <= MAX_INLINE_WAIT_S);
        if (!canWait || attempt >= retries) throw error;
        // Stopping: no retry after a pause; the work comes back with the next start.
        if (this.closing) throw new JobDeferred(2, `the app is shutting down; ${method} is retried with the next start`);
        // A retry-after wait happens in the scheduler (the chat is held); a sender without a chat sleeps it here.
        const delayMs =
          error.kind === 'retry-after'
            ? Number.isFinite(chatId)
              ? 0
              : (error.retryAfterSeconds ?? 1) * 1000
            : Math.min(4000, 250 * 2 ** attempt) * (0.5 + Math.random());
        const twice = outcomeUnknown && POSTS.has(method) ? ' (no answer: it may arrive twice)' : '';
        this.logger.warn(
          `${method} ${error.kind} (${error.description}); retrying ${error.kind === 'retry-after' ? `after ${error.retryAfterSeconds} s` : `in ${Math.round(delayMs)} ms`}${twice}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** How many more group messages `chatId` could take now (its minute's free slots, less sends waiting for them). */
  groupHeadroom(chatId: number): number {
    return this.scheduler.headroom(chatId);
  }

  /**
   * Stopping: sends still waiting for a slot give up. A job's send is deferred (it comes back, its
   * retries untouched); an update's is not confirmed and is handled again after the restart.
   */
  shutdown(): void {
    this.closing = true;
    this.scheduler.close(() => new JobDeferred(2, 'the app is shutting down; this send waits for the next start'));
  }

  private closing = false;

  /** Called whenever Telegram says the bot has no access to a group (removed, demoted, missing a right). */
  onNoAccess(listener: (chatId: number, error: TelegramCallError) => void): void {
    this.noAccessListeners.push(listener);
  }

  /**
   * "No access" is about a group; the same answers for a private chat (say "chat not found") mean the
   * customer cannot be reached, which the rest of the code knows as `blocked`.
   */
  private classify(method: string, payload: unknown, raw: unknown): TelegramCallError {
    const error = classifyTelegramError(method, raw);
    if (error.kind !== 'no-access') return error;
    const group = groupOf(payload);
    if (group === undefined) return new TelegramCallError(method, 'blocked', error.code, error.description);
    for (const listener of this.noAccessListeners) listener(group, error);
    return error;
  }

  sendMessage(chatId: number, text: string, extra: Omit<Opts<'sendMessage'>, 'chat_id' | 'text'> = {}, options?: CallOptions) {
    return this.call('sendMessage', { chat_id: chatId, text, parse_mode: 'HTML', ...extra }, options);
  }

  copyMessage(chatId: number, fromChatId: number, messageId: number, extra: Partial<Opts<'copyMessage'>> = {}, options?: CallOptions) {
    return this.call('copyMessage', { chat_id: chatId, from_chat_id: fromChatId, message_id: messageId, ...extra }, options);
  }

  editMessageText(chatId: number, messageId: number, text: string, extra: Partial<Opts<'editMessageText'>> = {}, options?: CallOptions) {
    return this.call('editMessageText', { chat_id: chatId, message_id: messageId, text, parse_mode: 'HTML', ...extra }, options).catch(
      (error: TelegramCallError) => {
        if (error.kind === 'not-modified') return true;
        throw error;
      },
    );
  }

  answerCallbackQuery(id: string, text?: string) {
    return this.call('answerCallbackQuery', { callback_query_id: id, text }, { lane: 'customer', retries: 0 }).catch(
      (error: TelegramCallError) => this.logger.debug(`answerCallbackQuery failed: ${error.message}`),
    );
  }

  createForumTopic(chatId: number, name: string, options?: CallOptions) {
    return this.call('createForumTopic', { chat_id: chatId, name }, { lane: 'group', ...options });
  }

  private once<M extends Method>(method: M, payload: Opts<M>): Promise<Result<M>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    return this.client
      .callApi(method, payload, { signal: controller.signal as never })
      .finally(() => clearTimeout(timer)) as Promise<Result<M>>;
  }
}
