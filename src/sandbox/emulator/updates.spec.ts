import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegraf, TelegramError } from 'telegraf';
import { BotApiEmulator } from './emulator';
import type { Update } from './types';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rawCall(emu: BotApiEmulator, method: string, params: Record<string, unknown> = {}, signal?: AbortSignal) {
  const res = await fetch(`${emu.apiRoot}/bot${emu.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    signal,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as { ok: boolean; result?: unknown; description?: string; error_code?: number; parameters?: { retry_after?: number } } };
}

const ids = (updates: unknown): number[] => (updates as Update[]).map((u) => u.update_id);

describe('updates: getUpdates, long polling and telegraf polling', () => {
  let emu: BotApiEmulator;
  beforeEach(async () => {
    emu = new BotApiEmulator();
    await emu.start();
  });
  afterEach(() => emu.stop());

  it('keeps updates until confirmed by offset (at-least-once), with limit and negative offset', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    emu.userSendText(ann.id, '/start');
    emu.userSendText(ann.id, 'two');
    emu.userSendText(ann.id, 'three');
    const first = await rawCall(emu, 'getUpdates', { limit: 2 });
    expect(ids(first.json.result)).toEqual([100000000, 100000001]);
    expect((first.json.result as Update[])[0].message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
    // Not confirmed yet: the same updates come again.
    expect(ids((await rawCall(emu, 'getUpdates')).json.result)).toEqual([100000000, 100000001, 100000002]);
    expect(ids((await rawCall(emu, 'getUpdates', { offset: 100000002 })).json.result)).toEqual([100000002]);
    emu.userSendText(ann.id, 'four');
    expect(ids((await rawCall(emu, 'getUpdates', { offset: -1 })).json.result)).toEqual([100000003]);
    expect(ids((await rawCall(emu, 'getUpdates')).json.result)).toEqual([100000003]);
    expect(emu.updatesDelivered()).toEqual([100000000, 100000001, 100000000, 100000001, 100000002, 100000002, 100000003, 100000003]);
  });

  it('delivers service messages caused by the bot but not its ordinary sends', async () => {
    const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    const topic = await bot.telegram.createForumTopic(emu.supportChatId, 'T');
    await bot.telegram.sendMessage(emu.supportChatId, 'plain', { message_thread_id: topic.message_thread_id });
    await bot.telegram.closeForumTopic(emu.supportChatId, topic.message_thread_id);
    const updates = (await rawCall(emu, 'getUpdates')).json.result as Update[];
    expect(updates.map((u) => Object.keys(u.message ?? {}).find((k) => k.startsWith('forum_topic_')))).toEqual([
      'forum_topic_created',
      'forum_topic_closed',
    ]);
    expect(updates[1].message?.reply_to_message?.message_id).toBe(topic.message_thread_id);
  });

  it('persists allowed_updates; the default excludes message_reaction', async () => {
    emu.enqueueRawUpdate({ message_reaction: { chat: { id: 1, type: 'private' }, message_id: 1 } });
    expect((await rawCall(emu, 'getUpdates')).json.result).toEqual([]);
    await rawCall(emu, 'getUpdates', { allowed_updates: ['message_reaction'] });
    const id = emu.enqueueRawUpdate({ message_reaction: { chat: { id: 1, type: 'private' }, message_id: 1 } });
    const ann = emu.createUser({ first_name: 'Ann' });
    emu.userSendText(ann.id, 'filtered out');
    expect(ids((await rawCall(emu, 'getUpdates')).json.result)).toEqual([id]);
  });

  it('holds long polls, lets a newer poll terminate an older one, and loses nothing when a poll is dropped', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const t0 = Date.now();
    const held = rawCall(emu, 'getUpdates', { timeout: 5 });
    await sleep(100);
    emu.userSendText(ann.id, 'wake up');
    const woke = await held;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(ids(woke.json.result)).toHaveLength(1);
    const offset = ids(woke.json.result)[0] + 1;

    const older = rawCall(emu, 'getUpdates', { offset, timeout: 5 });
    await sleep(50);
    const newer = rawCall(emu, 'getUpdates', { offset, timeout: 1 });
    expect(await older).toMatchObject({
      status: 409,
      json: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' },
    });
    expect((await newer).json.result).toEqual([]);

    // A client that goes away mid-poll: the update arriving afterwards is still there for the next poll.
    const controller = new AbortController();
    const dropped = rawCall(emu, 'getUpdates', { offset, timeout: 5 }, controller.signal).catch((e: Error) => e);
    await sleep(50);
    controller.abort();
    await dropped;
    await sleep(20);
    emu.userSendText(ann.id, 'after the drop');
    const next = await rawCall(emu, 'getUpdates', { offset });
    expect((next.json.result as Update[]).map((u) => u.message?.text)).toEqual(['after the drop']);
  });

  it('runs a real telegraf polling loop (bot.launch / bot.stop) and redelivers duplicates', async () => {
    const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    const seen: number[] = [];
    bot.on('message', async (ctx) => {
      seen.push(ctx.update.update_id);
      if ('text' in ctx.message) await ctx.reply(`echo: ${ctx.message.text}`);
    });
    const launched = bot.launch();
    await emu.waitFor(() => emu.callRecords('getUpdates').length > 0, { what: 'polling' });
    const ann = emu.createUser({ first_name: 'Ann' });
    const sent = emu.userSendText(ann.id, 'ping');
    const reply = await emu.waitFor(() => emu.chatMessages(ann.id).find((m) => m.text === 'echo: ping'), { what: 'the echo' });
    expect(emu.messageSeq(ann.id, reply.message_id)).toBeGreaterThan(emu.messageSeq(ann.id, sent.message_id));
    const firstId = seen[0];
    await emu.waitFor(() => emu.callRecords('getUpdates').some((c) => (c.params.offset as number) > firstId), { what: 'confirmation' });
    emu.redeliver(firstId);
    await emu.waitFor(() => seen.length === 2, { what: 'the duplicate' });
    expect(seen).toEqual([firstId, firstId]);
    emu.userSendText(ann.id, 'next');
    await emu.waitFor(() => seen.length === 3, { what: 'the next update' });
    expect(seen[2]).toBe(firstId + 1);
    bot.stop('test');
    await launched;
    // An update that arrives while nobody polls waits in the queue.
    emu.userSendText(ann.id, 'while stopped');
    const pending = (await rawCall(emu, 'getUpdates')).json.result as Update[];
    expect(pending.map((u) => u.message?.text)).toEqual(['while stopped']);
  });
});

describe('webhooks', () => {
  let emu: BotApiEmulator;
  let server: http.Server;
  let received: Array<{ update: Update; secret?: string; at: number }>;
  let respond: (update: Update) => { status: number; body?: unknown };

  beforeEach(async () => {
    emu = new BotApiEmulator({ webhookRetry: { baseMs: 40, maxMs: 200 } });
    await emu.start();
    received = [];
    respond = () => ({ status: 200 });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const update = JSON.parse(Buffer.concat(chunks).toString()) as Update;
        received.push({ update, secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined, at: Date.now() });
        const answer = respond(update);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });

  afterEach(async () => {
    await emu.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const hookUrl = (): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  it('posts updates with the secret, retries failures in per-chat order and reports errors', async () => {
    const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    const ann = emu.createUser({ first_name: 'Ann' });
    const bob = emu.createUser({ first_name: 'Bob' });
    let failures = 3;
    respond = (u) => (u.message?.chat.id === ann.id && failures-- > 0 ? { status: 500 } : { status: 200 });
    expect(await bot.telegram.setWebhook(hookUrl(), { secret_token: 'S3cret_-x', max_connections: 5 })).toBe(true);
    const again = await rawCall(emu, 'setWebhook', { url: hookUrl(), secret_token: 'S3cret_-x', max_connections: 5 });
    expect(again.json).toEqual({ ok: true, result: true, description: 'Webhook is already set' });
    const bad = await rawCall(emu, 'setWebhook', { url: hookUrl(), secret_token: 'a+b' });
    expect(bad.json.description).toBe('Bad Request: secret token contains unallowed characters');

    emu.userSendText(ann.id, 'a1');
    emu.userSendText(ann.id, 'a2');
    emu.userSendText(bob.id, 'b1');
    await emu.waitFor(() => emu.pendingUpdates().length === 0 && received.length >= 6, { what: 'all deliveries', timeoutMs: 3000 });
    const texts = received.map((r) => r.update.message?.text);
    // Bob is not held up by Ann's failing head-of-line update.
    expect(texts.indexOf('b1')).toBeLessThan(texts.lastIndexOf('a1'));
    const annOrder = texts.filter((t) => t !== 'b1');
    expect(annOrder).toEqual(['a1', 'a1', 'a1', 'a1', 'a2']);
    expect(received.every((r) => r.secret === 'S3cret_-x')).toBe(true);
    // First retry immediately, then 40 ms, then 80 ms.
    const a1Times = received.filter((r) => r.update.message?.text === 'a1').map((r) => r.at);
    expect(a1Times[3] - a1Times[2]).toBeGreaterThanOrEqual(60);
    const info = await bot.telegram.getWebhookInfo();
    expect(info).toMatchObject({ url: hookUrl(), pending_update_count: 0, last_error_message: 'Wrong response from the webhook: 500 Internal Server Error', max_connections: 5 });
    expect(emu.updatesDelivered()).toHaveLength(3);

    expect(await rawCall(emu, 'getUpdates')).toMatchObject({
      status: 409,
      json: { description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" },
    });
  });

  it('executes a method returned in the webhook response, and drops pending updates on deleteWebhook', async () => {
    const bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
    const ann = emu.createUser({ first_name: 'Ann' });
    respond = (u) => ({ status: 200, body: { method: 'sendMessage', chat_id: u.message?.chat.id, text: 'via webhook reply' } });
    await bot.telegram.setWebhook(hookUrl());
    emu.userSendText(ann.id, 'hello');
    await emu.waitFor(() => emu.chatMessages(ann.id).find((m) => m.text === 'via webhook reply'), { what: 'the reply' });

    respond = () => ({ status: 503 });
    emu.userSendText(ann.id, 'stuck');
    await emu.waitFor(() => received.length >= 3, { what: 'retries' });
    expect((await bot.telegram.getWebhookInfo()).pending_update_count).toBe(1);
    expect(await rawCall(emu, 'deleteWebhook', { drop_pending_updates: true })).toMatchObject({
      json: { ok: true, result: true, description: 'Webhook was deleted' },
    });
    expect((await rawCall(emu, 'getUpdates')).json.result).toEqual([]);
  });
});

describe('faults, flood control and network cuts', () => {
  let emu: BotApiEmulator;
  let bot: Telegraf;
  beforeEach(async () => {
    emu = new BotApiEmulator();
    await emu.start();
    bot = new Telegraf(emu.token, { telegram: { apiRoot: emu.apiRoot } });
  });
  afterEach(() => emu.stop());

  it('fails the next calls as configured, with Retry-After on 429', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    emu.setFault('sendMessage', { failNext: { count: 1, code: 429, description: 'Too Many Requests: retry after 7', retryAfter: 7 } });
    const res = await rawCall(emu, 'sendMessage', { chat_id: ann.id, text: 'x' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.json).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    expect(emu.chatMessages(ann.id)).toEqual([]);
    expect((await rawCall(emu, 'sendMessage', { chat_id: ann.id, text: 'x' })).status).toBe(200);

    emu.setFault('*', { rate5xx: 1 });
    await expect(bot.telegram.sendMessage(ann.id, 'y')).rejects.toMatchObject({ code: 502 });
    emu.setFault('*', { rate429: 1, retryAfter: [2, 2] });
    await expect(bot.telegram.sendMessage(ann.id, 'y')).rejects.toMatchObject({ code: 429, parameters: { retry_after: 2 } });
    emu.setFault('*', null);
    await bot.telegram.sendMessage(ann.id, 'z');
    expect(emu.callRecords('sendMessage').map((c) => c.status)).toEqual([429, 200, 502, 429, 200]);
  });

  it('fails only the calls into the chat a fault names', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const bob = emu.createUser({ first_name: 'Bob' });
    emu.setFault('sendMessage', { failNext: { count: 1, code: 429, description: 'Too Many Requests: retry after 3', retryAfter: 3, chatId: ann.id } });
    expect((await rawCall(emu, 'sendMessage', { chat_id: bob.id, text: 'x' })).status).toBe(200);
    expect((await rawCall(emu, 'sendMessage', { chat_id: String(ann.id), text: 'x' })).status).toBe(429);
    expect((await rawCall(emu, 'sendMessage', { chat_id: ann.id, text: 'x' })).status).toBe(200);
  });

  it('applies latency before the effect, visible as a late endSeq', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    emu.setFault('createForumTopic', { latencyMs: 300 });
    const calls: string[] = [];
    emu.on('call', (c: { method: string }) => calls.push(c.method));
    const slow = bot.telegram.createForumTopic(emu.supportChatId, 'slow');
    await sleep(100);
    expect(emu.topics()).toEqual([]);
    const msg = emu.userSendText(ann.id, 'meanwhile');
    await slow;
    const [record] = emu.callRecords('createForumTopic');
    expect(record.endSeq).toBeGreaterThan(emu.messageSeq(ann.id, msg.message_id));
    expect(record.startSeq).toBeLessThan(emu.messageSeq(ann.id, msg.message_id));
    expect((record.finishedAt ?? 0) - record.startedAt).toBeGreaterThanOrEqual(290);
    expect(emu.topics()[0].createdSeq).toBeGreaterThan(emu.messageSeq(ann.id, msg.message_id));
    expect(calls).toEqual(['createForumTopic']);
  });

  it('enforces flood limits on successful sends only', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    emu.setLimits({ enforce: true, perChatBurst: 2, perChatPerSecond: 1, perGroupPerMinute: 3 });
    await expect(bot.telegram.sendMessage(ann.id, '')).rejects.toMatchObject({ code: 400 });
    await bot.telegram.sendMessage(ann.id, '1');
    await bot.telegram.sendMessage(ann.id, '2');
    const err = (await bot.telegram.sendMessage(ann.id, '3').catch((e: unknown) => e)) as TelegramError;
    expect(err.code).toBe(429);
    expect(err.description).toBe('Too Many Requests: retry after 1');
    expect(err.parameters?.retry_after).toBe(1);
    for (let i = 0; i < 3; i++) {
      await sleep(i === 0 ? 0 : 1000);
      await bot.telegram.createForumTopic(emu.supportChatId, `t${i}`);
    }
    const group = await bot.telegram.sendMessage(emu.supportChatId, 'over').catch((e: TelegramError) => e);
    expect((group as TelegramError).code).toBe(429);
    expect((group as TelegramError).parameters?.retry_after).toBeGreaterThan(50);
  });

  it('drops connections while the network is down and keeps updates', async () => {
    const ann = emu.createUser({ first_name: 'Ann' });
    const poll = rawCall(emu, 'getUpdates', { timeout: 5 }).then(
      () => 'answered',
      (e: Error) => (e.cause as { code?: string } | undefined)?.code ?? e.message,
    );
    await sleep(50);
    emu.setNetworkDown(true);
    expect(await poll).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed|fetch failed/);
    emu.userSendText(ann.id, 'during the outage');
    await expect(bot.telegram.getMe()).rejects.toMatchObject({ name: 'FetchError' });
    emu.setNetworkDown(false);
    const after = await rawCall(emu, 'getUpdates');
    expect((after.json.result as Update[]).map((u) => u.message?.text)).toEqual(['during the outage']);
  });

  it('waitFor rejects with a clear timeout message', async () => {
    await expect(emu.waitFor(() => false, { timeoutMs: 120, what: 'nothing' })).rejects.toThrow('Timed out after 120ms waiting for nothing');
    const ann = emu.createUser({ first_name: 'Ann' });
    setTimeout(() => emu.userSendText(ann.id, 'late'), 30);
    const m = await emu.waitFor(() => emu.chatMessages(ann.id)[0], { timeoutMs: 1000 });
    expect(m.text).toBe('late');
  });
});
