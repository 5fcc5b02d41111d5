import { performance } from 'node:perf_hooks';
import { Metrics } from '../src/metrics/metrics.service';
import { BotApiEmulator, CallRecord, TgUser } from '../src/sandbox/emulator';
import { SendScheduler } from '../src/telegram/send-scheduler';
import { TelegramGateway } from '../src/telegram/telegram.gateway';
import { createTestDatabase } from './support/database';
import { TestDesk, ackFor, chooseCategory, rateLimitEnv, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/**
 * Telegram's limits are the bot's, whatever the number of processes. The emulator enforces them (scaled
 * up for the support group, 5 a second and 120 a minute, to keep the run short; the mechanics are
 * Telegram's) and the app is given the same limits: two instances that each spent them whole would send
 * twice as much into the group and meet 429s within seconds.
 */
const limits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerSecond: 5, perGroupPerMinute: 120 };
const CUSTOMERS = 40;
/** The calls the emulator counts against a chat's limits. */
const POSTS = new Set(['sendMessage', 'sendPhoto', 'sendMediaGroup', 'copyMessage', 'copyMessages', 'forwardMessage', 'forwardMessages', 'createForumTopic']);

describe('two instances sharing one Telegram budget', () => {
  let emu: BotApiEmulator;
  let database: { url: string; drop(): Promise<void> };
  const desks: TestDesk[] = [];
  const closed = new Set<TestDesk>();

  beforeAll(async () => {
    emu = new BotApiEmulator();
    await emu.start();
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) desks.push(await startDesk({ emu, databaseUrl: database.url, env: rateLimitEnv(limits) }));
  }, 60_000);

  afterAll(async () => {
    for (const desk of desks) if (!closed.has(desk)) await desk.close().catch(() => undefined);
    await emu?.stop();
    await database?.drop();
  });

  const tooMany = (since: number): CallRecord[] => emu.callRecords().filter((c) => c.startSeq > since && c.status === 429);
  /** Group messages an instance posted, by its own count (each message of a copyMessages counts). */
  const groupPosts = async (desk: TestDesk): Promise<number> => {
    const metric = await desk.app.get(Metrics).registry.getSingleMetric('helpdesk_telegram_messages_total')!.get();
    return metric.values.filter((v) => v.labels.chat === 'group').reduce((sum, v) => sum + v.value, 0);
  };

  it('holds a chat on every instance once one of them met a 429 for it', async () => {
    const [a, b] = desks.map((desk) => desk.app.get(TelegramGateway));
    const held = emu.createUser({ first_name: 'Held', language_code: 'en' });
    const other = emu.createUser({ first_name: 'Other', language_code: 'en' });
    emu.setFault('sendMessage', { failNext: { count: 1, code: 429, description: 'Too Many Requests: retry after 5', retryAfter: 5, chatId: held.id } });
    try {
      const fromA = a.sendMessage(held.id, 'from A', {}, { lane: 'customer' });
      const refused = await emu.waitFor(() => emu.callRecords('sendMessage').find((c) => c.status === 429 && Number(c.params.chat_id) === held.id), {
        what: 'the 429 for instance A',
      });
      const holdEnds = refused.finishedAt! + 5000;
      // Instance B learns of the hold with its next heartbeat, within a second.
      await emu.waitFor(() => (desks[1].app.get(SendScheduler).heldMs(held.id) > 0 ? true : undefined), { what: 'instance B to hold the chat', timeoutMs: 3000 });
      const askedAt = performance.now();
      const fromB = b.sendMessage(held.id, 'from B', {}, { lane: 'customer' });
      // Other chats are not held.
      await b.sendMessage(other.id, 'not held', {}, { lane: 'customer' });
      expect(performance.now()).toBeLessThan(holdEnds);
      await Promise.all([fromA, fromB]);

      const sent = emu.callRecords('sendMessage').filter((c) => c.ok && Number(c.params.chat_id) === held.id);
      expect(sent.map((c) => c.params.text).sort()).toEqual(['from A', 'from B']);
      for (const call of sent) expect(call.startedAt).toBeGreaterThanOrEqual(holdEnds);
      // B asked well before the hold ended: it waited for it.
      expect(holdEnds - askedAt).toBeGreaterThan(2000);
    } finally {
      emu.clearFaults();
    }
  }, 30_000);

  it('keeps the limits of one bot: no 429, every message once and in order, and so after the busier instance is closed', async () => {
    const customers: TgUser[] = Array.from({ length: CUSTOMERS }, (_, i) => emu.createUser({ first_name: `Share${i}`, language_code: 'en' }));
    for (let i = 0; i < customers.length; i += 10) await Promise.all(customers.slice(i, i + 10).map((user) => chooseCategory(emu, user)));
    emu.setLimits({ enforce: true, ...limits });
    const since = emu.seq();
    const startedAt = performance.now();

    const expected = new Map<number, string[]>();
    const write = (user: TgUser, text: string) => {
      emu.userSendText(user.id, text);
      expected.set(user.id, [...(expected.get(user.id) ?? []), text]);
    };
    const topicOf = (user: TgUser) => emu.topics().find((t) => !t.deleted && t.name.endsWith(` · ${user.first_name} 1`));
    const copies = (user: TgUser): string[] => {
      const topic = topicOf(user);
      if (!topic) return [];
      return topicMessages(emu, topic.message_thread_id)
        .filter((m) => m.from?.id === emu.botUser.id && (m.text ?? '').startsWith(`${user.first_name} `))
        .map((m) => m.text!);
    };
    const delivered = (users: TgUser[]) => users.every((user) => copies(user).length >= expected.get(user.id)!.length);
    const checkEveryone = (users: TgUser[]) => {
      for (const user of users) expect({ user: user.first_name, copies: copies(user) }).toEqual({ user: user.first_name, copies: expected.get(user.id) });
      expect(emu.topics().filter((t) => !t.deleted && users.some((u) => t.name.endsWith(` · ${u.first_name} 1`)))).toHaveLength(users.length);
    };

    // Forty new tickets at once, each with a follow-up: 120 group messages, and 40 acknowledgements in a second or two.
    for (const user of customers) write(user, `${user.first_name} 1`);
    for (const user of customers) write(user, `${user.first_name} 2`);
    await emu.waitFor(() => (delivered(customers) ? true : undefined), { what: 'every message in its topic', timeoutMs: 120_000 });
    const firstPhaseMs = performance.now() - startedAt;
    expect(tooMany(since)).toEqual([]);
    checkEveryone(customers);
    for (const user of customers) expect(ackFor(emu, user.id)).toBeDefined();

    // The instance that posted more into the group is closed; the other carries on alone.
    const posted = await Promise.all(desks.map(groupPosts));
    const busier = posted[0] >= posted[1] ? 0 : 1;
    const survivor = desks[1 - busier];
    const survivorBefore = posted[1 - busier];
    const closing = desks[busier].close();
    closed.add(desks[busier]);
    const secondAt = performance.now();
    const newcomers: TgUser[] = Array.from({ length: 5 }, (_, i) => emu.createUser({ first_name: `Late${i}`, language_code: 'en' }));
    for (const user of customers.slice(0, 20)) write(user, `${user.first_name} 3`);
    await closing;
    for (const user of newcomers) await chooseCategory(emu, user);
    for (const user of newcomers) write(user, `${user.first_name} 1`);
    for (const user of customers.slice(20, 30)) write(user, `${user.first_name} 3`);
    const everyone = [...customers, ...newcomers];
    await emu.waitFor(() => (delivered(everyone) ? true : undefined), { what: 'every message after the close', timeoutMs: 150_000 });

    expect(tooMany(since)).toEqual([]);
    checkEveryone(everyone);
    expect(await groupPosts(survivor)).toBeGreaterThan(survivorBefore);

    // How close the two came to the group's limit, on the emulator's clock.
    const groupCalls = emu
      .callRecords()
      .filter((c) => c.startSeq > since && c.ok && POSTS.has(c.method) && Number(c.params.chat_id) === emu.supportChatId)
      .flatMap((c) => Array.from({ length: Array.isArray(c.params.message_ids) ? c.params.message_ids.length : 1 }, () => c.startedAt));
    const peakMinute = Math.max(...groupCalls.map((start) => groupCalls.filter((t) => t >= start && t < start + 60_000).length));
    process.stdout.write(
      `shared budget: ${posted.join(' + ')} group messages by the two instances in ${Math.round(firstPhaseMs / 1000)} s, no 429; ` +
        `the busier closed, the survivor delivered the rest ${Math.round((performance.now() - secondAt) / 1000)} s after; ` +
        `peak group minute ${peakMinute} of ${limits.perGroupPerMinute}\n`,
    );
  }, 300_000);
});
