/**
 * Every Telegram failure is classified once, here; the rest of the code acts on the class and never
 * string-matches Telegram's error texts.
 */
export type TelegramErrorKind =
  | 'retry-after' // 429: wait parameters.retry_after, then the same call again
  | 'transient' // 5xx, network errors: back off and retry
  | 'thread-gone' // the forum topic was deleted
  | 'topic-closed' // the forum topic is closed
  | 'blocked' // the user blocked the bot or is gone
  | 'no-access' // the bot was removed from the group, demoted, or lacks a right there: nothing to retry until that changes
  | 'uncopyable' // Telegram will not copy this message (a quiz, an invoice, paid media, a service message)
  | 'not-modified' // an edit that changes nothing: success for our purposes
  | 'bad-request'; // anything else: retrying the same call will not help

export class TelegramCallError extends Error {
  constructor(
    readonly method: string,
    readonly kind: TelegramErrorKind,
    readonly code: number | undefined,
    readonly description: string,
    readonly retryAfterSeconds?: number,
    /** No answer, but the request never left (the connection was refused, the name did not resolve). */
    private readonly neverSent = false,
  ) {
    super(`${method}: ${code ?? 'network'} ${description}`);
    this.name = 'TelegramCallError';
  }

  get retriable(): boolean {
    return this.kind === 'retry-after' || this.kind === 'transient';
  }

  /**
   * A job that meets this error waits and tries again later without counting a failed attempt: the bot's
   * access to a group is missing, and retrying at once (or giving up) would be wrong. See JobQueue.
   */
  get deferForSeconds(): number | undefined {
    return this.kind === 'no-access' ? 30 : undefined;
  }

  /**
   * Telegram answered, with an error: the call had no effect (nothing was created or sent). Without an
   * answer (a network error, a timeout) the outcome is unknown: the call may have taken effect.
   */
  get answered(): boolean {
    return this.code !== undefined;
  }

  /** Neither answered nor known to have stayed here: Telegram may have carried the call out, and repeating it may repeat its effect. */
  get outcomeUnknown(): boolean {
    return !this.answered && !this.neverSent;
  }
}

interface TelegrafLikeError {
  name?: string;
  code?: number | string;
  message?: string;
  description?: string;
  parameters?: { retry_after?: number };
  response?: { error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

/** The bot's standing in a chat, not the request, is wrong: retrying the same call helps only once that changes. */
const NO_ACCESS = [
  /kicked from the (super)?group/,
  /is not a member of the (super)?group/,
  /not enough rights/,
  /chat not found/,
  /chat_admin_required/,
  /need administrator rights/,
  /have no rights to send/,
];
/** Telegram's answers about a message that cannot be copied at all (not about the chat or the request). */
const UNCOPYABLE = [/the message can't be copied/, /messages can't be forwarded/];

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);
/** Network errors before the request left this machine: Telegram cannot have carried it out. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

export function classifyTelegramError(method: string, raw: unknown): TelegramCallError {
  if (raw instanceof TelegramCallError) return raw;
  const error = (raw ?? {}) as TelegrafLikeError;
  const response = error.response;
  if (response && typeof response.error_code === 'number') {
    const code = response.error_code;
    const description = response.description ?? '';
    const text = description.toLowerCase();
    let kind: TelegramErrorKind = 'bad-request';
    if (code === 429) kind = 'retry-after';
    else if (code >= 500) kind = 'transient';
    else if (text.includes('message thread not found') || text.includes('topic_deleted')) kind = 'thread-gone';
    else if (text.includes('topic_closed')) kind = 'topic-closed';
    else if (NO_ACCESS.some((pattern) => pattern.test(text))) kind = 'no-access';
    else if (code === 403 && (text.includes('blocked') || text.includes('deactivated') || text.includes("can't initiate"))) kind = 'blocked';
    else if (UNCOPYABLE.some((pattern) => pattern.test(text))) kind = 'uncopyable';
    else if (text.includes('not modified') || text.includes('topic_not_modified')) kind = 'not-modified';
    const retryAfter = response.parameters?.retry_after ?? (kind === 'retry-after' ? 1 : undefined);
    return new TelegramCallError(method, kind, code, description, retryAfter);
  }
  const networkCode = typeof error.code === 'string' ? error.code : undefined;
  if (error.name === 'FetchError' || error.name === 'AbortError' || (networkCode && NETWORK_CODES.has(networkCode))) {
    const neverSent = networkCode !== undefined && NEVER_SENT_CODES.has(networkCode);
    return new TelegramCallError(method, 'transient', undefined, error.message ?? 'network error', undefined, neverSent);
  }
  return new TelegramCallError(method, 'transient', undefined, error.message ?? String(raw));
}
