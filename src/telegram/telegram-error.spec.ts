import { classifyTelegramError } from './telegram-error';

const api = (error_code: number, description: string, parameters?: object) => ({ response: { ok: false, error_code, description, parameters } });

describe('classifyTelegramError', () => {
  it.each([
    [api(429, 'Too Many Requests: retry after 7', { retry_after: 7 }), 'retry-after'],
    [api(502, 'Bad Gateway'), 'transient'],
    [api(400, 'Bad Request: message thread not found'), 'thread-gone'],
    [api(400, 'Bad Request: TOPIC_DELETED'), 'thread-gone'],
    [api(400, 'Bad Request: TOPIC_CLOSED'), 'topic-closed'],
    [api(403, 'Forbidden: bot was blocked by the user'), 'blocked'],
    [api(403, 'Forbidden: user is deactivated'), 'blocked'],
    [api(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same'), 'not-modified'],
    [api(400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0"), 'bad-request'],
    [{ name: 'FetchError', code: 'ECONNRESET', message: 'socket hang up' }, 'transient'],
    [api(403, 'Forbidden: bot was kicked from the supergroup chat'), 'no-access'],
    [api(403, 'Forbidden: bot is not a member of the supergroup chat'), 'no-access'],
    [api(400, 'Bad Request: not enough rights to create a topic'), 'no-access'],
    [api(400, 'Bad Request: chat not found'), 'no-access'],
    [api(400, 'Bad Request: CHAT_ADMIN_REQUIRED'), 'no-access'],
    [api(400, "Bad Request: the message can't be copied"), 'uncopyable'],
    [api(400, 'Bad Request: message to copy not found'), 'bad-request'],
  ])('classifies %j as %s', (raw, kind) => {
    expect(classifyTelegramError('sendMessage', raw).kind).toBe(kind);
  });

  it('lets a job wait out missing access instead of spending its retries, and nothing else', () => {
    expect(classifyTelegramError('createForumTopic', api(403, 'Forbidden: bot was kicked from the supergroup chat')).deferForSeconds).toBe(30);
    expect(classifyTelegramError('sendMessage', api(400, 'Bad Request: message is too long')).deferForSeconds).toBeUndefined();
  });

  it('says whether Telegram answered (the call had no effect) or the outcome is unknown', () => {
    expect(classifyTelegramError('copyMessage', api(400, 'Bad Request: chat not found')).answered).toBe(true);
    expect(classifyTelegramError('copyMessage', { name: 'AbortError', message: 'aborted' }).answered).toBe(false);
  });

  it('knows a call without an answer may have been carried out, unless it never left', () => {
    expect(classifyTelegramError('copyMessage', api(502, 'Bad Gateway')).outcomeUnknown).toBe(false);
    expect(classifyTelegramError('copyMessage', { name: 'AbortError', message: 'aborted' }).outcomeUnknown).toBe(true);
    expect(classifyTelegramError('copyMessage', { name: 'FetchError', code: 'ECONNRESET', message: 'socket hang up' }).outcomeUnknown).toBe(true);
    expect(classifyTelegramError('copyMessage', { name: 'FetchError', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }).outcomeUnknown).toBe(false);
  });

  it('keeps retry_after in seconds', () => {
    const error = classifyTelegramError('sendMessage', api(429, 'Too Many Requests: retry after 7', { retry_after: 7 }));
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.retriable).toBe(true);
  });
});
