import { Logger } from '@nestjs/common';
import type { Telegram } from 'telegraf';
import type { Update } from 'telegraf/types';
import { TelegramCallError } from './telegram-error';
import { UpdatePoller } from './update-poller';

type Answer = Update[] | Error | 'hang';
interface Poll {
  offset: number;
  timeout: number;
  signal: AbortSignal;
}

/** A Bot API error as telegraf throws it. */
const apiError = (code: number, description: string) => Object.assign(new Error(description), { response: { error_code: code, description } });
const update = (id: number) => ({ update_id: id, message: { message_id: id, date: 0, chat: { id: 1, type: 'private' }, text: 'hi' } }) as unknown as Update;

/**
 * getUpdates answered from a script, one answer per long poll; 'hang' is a connection that never
 * answers (aborted only by the caller's signal, as node-fetch is). The final confirmation answers at once.
 */
function fakeTelegram(script: Answer[]) {
  const polls: Poll[] = [];
  const callApi = jest.fn((_method: string, params: { offset: number; timeout: number; limit?: number }, options?: { signal?: AbortSignal }) => {
    if (params.limit === 1) return Promise.resolve([]);
    const signal = options!.signal!;
    polls.push({ offset: params.offset, timeout: params.timeout, signal });
    const next = script.shift() ?? 'hang';
    if (next === 'hang') {
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' })), { once: true }),
      );
    }
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  });
  return { telegram: { callApi } as unknown as Telegram, polls };
}

describe('UpdatePoller', () => {
  let warnings: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('retries a 409 Conflict with a growing back-off instead of giving up, then polls on', async () => {
    const conflict = apiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    const { telegram, polls } = fakeTelegram([conflict, conflict, [update(7)]]);
    const store = jest.fn(async () => undefined);
    const onFatal = jest.fn();
    const poller = new UpdatePoller(telegram, store, { allowedUpdates: ['message'] });
    const started = poller.start(onFatal);

    await jest.advanceTimersByTimeAsync(0);
    expect(polls).toHaveLength(1);
    // 400 ms after the first conflict, 800 ms after the second.
    await jest.advanceTimersByTimeAsync(399);
    expect(polls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(polls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(799);
    expect(polls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    // The third answers with an update; it is stored, and the next long poll confirms it.
    await started;
    expect(polls).toHaveLength(4);
    expect(store).toHaveBeenCalledWith([update(7)]);
    expect(polls[3]).toMatchObject({ offset: 8, timeout: 30 });
    expect(onFatal).not.toHaveBeenCalled();
    expect(warnings).toEqual([expect.stringMatching(/^getUpdates failed \(Conflict: .*\); retrying in 400 ms$/)]);
    await poller.stop();
  });

  it('stops on an error no retry cures (a revoked token)', async () => {
    const { telegram, polls } = fakeTelegram([apiError(401, 'Unauthorized')]);
    const onFatal = jest.fn();
    const poller = new UpdatePoller(telegram, async () => undefined, { allowedUpdates: ['message'] });
    await poller.start(onFatal);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(onFatal).toHaveBeenCalledWith(expect.any(TelegramCallError));
    expect((onFatal.mock.calls[0][0] as TelegramCallError).code).toBe(401);
    expect(polls).toHaveLength(1);
    await poller.stop();
  });

  it('aborts a getUpdates that hangs past its deadline and polls again', async () => {
    const { telegram, polls } = fakeTelegram([[], 'hang', [update(5)]]);
    const store = jest.fn(async () => undefined);
    const onFatal = jest.fn();
    const poller = new UpdatePoller(telegram, store, { allowedUpdates: ['message'], timeout: 30 });
    const started = poller.start(onFatal);
    await jest.advanceTimersByTimeAsync(0);
    await started;
    expect(polls).toHaveLength(2);

    // The long poll may take its 30 s and 15 s of grace; then the connection is taken for dead.
    await jest.advanceTimersByTimeAsync(44_999);
    expect(polls[1].signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(polls[1].signal.aborted).toBe(true);
    await jest.advanceTimersByTimeAsync(399);
    expect(polls).toHaveLength(2);
    // 400 ms later the next poll answers with an update; it is stored and confirmed by the one after.
    await jest.advanceTimersByTimeAsync(1);
    expect(polls).toHaveLength(4);
    expect(store).toHaveBeenCalledWith([update(5)]);
    expect(polls[3]).toMatchObject({ offset: 6, timeout: 30 });
    expect(onFatal).not.toHaveBeenCalled();
    expect(warnings).toEqual([expect.stringMatching(/^getUpdates failed \(.*aborted.*\); retrying in 400 ms$/)]);
    await poller.stop();
  });
});
