import { BotApiEmulator, TgUser } from '../src/sandbox/emulator';
import { ChildApp, buildApp, childEnv, startPollingChild, stopChildren } from './support/child-app';
import { AddressInfo, createServer } from 'node:net';
import { createTestDatabase, queryOnce } from './support/database';
import { ackFor, botMessages, chooseCategory } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const CUSTOMERS = 50;

/**
 * The built app as a child process, killed with SIGKILL right after it acknowledged 50 tickets while
 * their topics were still being created; after a restart every ticket gets its topic and first message.
 */
describe('crash safety (built app, SIGKILL)', () => {
  let emu: BotApiEmulator;
  let database: { url: string; drop(): Promise<void> };
  let env: Record<string, string>;
  const children: ChildApp[] = [];

  const sql = <T>(text: string) => queryOnce<T>(database.url, text);

  const startApp = () => startPollingChild(emu, env, children);

  beforeAll(async () => {
    buildApp();
    emu = new BotApiEmulator();
    await emu.start();
    database = await createTestDatabase();
    env = childEnv(emu, database.url, { PORT: '0', RATE_LIMIT_GLOBAL_PER_SECOND: '1000' });
  }, 180_000);

  afterAll(async () => {
    await stopChildren('crash', children);
    await emu?.stop();
    await database?.drop();
  });

  it('finishes every acknowledged ticket after a SIGKILL, and counts duplicate topics', async () => {
    // Topics are slow to create, so the kill lands while most of them are still being made.
    emu.setFault('createForumTopic', { latencyMs: 1500 });
    const first = await startApp();
    const users: TgUser[] = Array.from({ length: CUSTOMERS }, (_, i) => emu.createUser({ first_name: `Crash${i}`, language_code: 'en' }));
    await Promise.all(users.map((user) => chooseCategory(emu, user)));
    users.forEach((user, i) => emu.userSendText(user.id, `crash test message ${i}`));
    await emu.waitFor(() => users.every((user) => ackFor(emu, user.id)) || undefined, { what: 'all acknowledgements', timeoutMs: 30_000 });
    // The cards (each carrying its ticket's first message) are slow too, so some are in flight at the kill.
    emu.setFault('sendMessage', { latencyMs: 700 });

    // Kill mid-way: some topics done, some being created, most not started, a card or more on its way.
    const creating = () => emu.callRecords('createForumTopic').filter((c) => c.endSeq === undefined).length;
    const cardsOnTheirWay = () => emu.callRecords('sendMessage').filter((c) => c.endSeq === undefined && Number(c.params.chat_id) === emu.supportChatId).length;
    await emu.waitFor(() => (emu.topics().length >= 8 && creating() >= 4 && cardsOnTheirWay() >= 1) || undefined, { what: 'the first topics', timeoutMs: 30_000 });
    const creatingBeforeKill = creating();
    first.kill('SIGKILL');
    await first.exited;
    const topicsAtKill = emu.topics().length;
    const inFlightAtKill = creatingBeforeKill;
    const copiesAtKill = users.filter((_, i) => (liveTopicWith(emu, i)?.copies ?? 0) >= 1).length;
    // Copies requested but not recorded when the process died: Telegram may or may not have made them.
    const uncertain = (
      await sql<{ text: string }>(`SELECT text FROM ticket_messages WHERE copy_started_at IS NOT NULL AND copied_at IS NULL`)
    ).map((r) => r.text);

    emu.setFault('createForumTopic', { latencyMs: 50 });
    emu.setFault('sendMessage', null);
    // The restarted app's /metrics on a port of its own: it makes the repeats, and counts them.
    const metricsPort = await freePort();
    env = { ...env, METRICS_PORT: String(metricsPort) };
    await startApp();
    await emu.waitFor(() => users.every((_, i) => (liveTopicWith(emu, i)?.copies ?? 0) >= 1) || undefined, {
      what: 'every ticket to have its topic and first message',
      timeoutMs: 60_000,
    });

    const byTicket = new Map<string, number>();
    for (const topic of emu.topics()) {
      const number = /^#(\d+)/.exec(topic.name)?.[1] ?? topic.name;
      byTicket.set(number, (byTicket.get(number) ?? 0) + 1);
    }
    const duplicatesCreated = [...byTicket.values()].reduce((sum, n) => sum + n - 1, 0);
    const duplicatesLive = emu.topics().filter((t) => !t.deleted).length - CUSTOMERS;
    const doubled = users.map((_, i) => `crash test message ${i}`).filter((text, i) => liveTopicWith(emu, i)!.copies > 1);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const repeats = (method: string) => Number(new RegExp(`^helpdesk_telegram_unknown_outcome_repeats_total\\{method="${method}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    const copyRepeats = repeats('sendMessage') + repeats('copyMessage') + repeats('copyMessages');

    const [stats] = await sql<{ retried: string; removed: string }>(
      `SELECT count(*) FILTER (WHERE topic_attempts > 1) AS retried, COALESCE(sum(duplicate_topics), 0) AS removed FROM tickets`,
    );
    process.stdout.write(
      `crash test: ${CUSTOMERS} tickets acknowledged; at SIGKILL ${topicsAtKill} topics existed, ${inFlightAtKill} were being created, ${copiesAtKill} first messages were copied; ` +
        `after restart all ${CUSTOMERS} have their topic and first message; duplicate topics created: ${duplicatesCreated}, removed: ${stats.removed}, left visible: ${duplicatesLive}; ` +
        `tickets whose topic creation was retried: ${stats.retried}; copies in flight at the kill: ${uncertain.length}, copied twice: ${doubled.length}; ` +
        `repeats counted after the restart: ${copyRepeats} copies, ${repeats('createForumTopic')} topics\n`,
    );

    // Every first message is in its topic. A second copy can only come from a copy whose outcome the
    // kill hid (sent again rather than risk losing it); every other message is there exactly once.
    for (let i = 0; i < CUSTOMERS; i++) expect(liveTopicWith(emu, i)!.copies).toBeLessThanOrEqual(2);
    for (const text of doubled) expect(uncertain).toContain(text);
    // Each copy the kill left in doubt was sent again by the restarted app, and counted as such; so was
    // each topic created again (a duplicate topic needs a repeat).
    expect(copyRepeats).toBe(uncertain.length);
    expect(repeats('createForumTopic')).toBeGreaterThanOrEqual(duplicatesCreated);
    expect(duplicatesLive).toBe(0);
    expect(emu.topics().filter((t) => !t.deleted)).toHaveLength(CUSTOMERS);
    // Nobody was acknowledged twice, even though unconfirmed updates were delivered again after the restart.
    for (const user of users) expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
  }, 120_000);

  it('shuts down cleanly on SIGTERM: stops taking updates, confirms them, exits 0', async () => {
    const live = children.find((c) => c.running)!;
    const user = emu.createUser({ first_name: 'Term', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'message before SIGTERM');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    live.kill('SIGTERM');
    const exit = await live.exited;
    expect(exit.code).toBe(0);
    expect(live.output.some((line) => /shutting down \(SIGTERM\)/.test(line))).toBe(true);
    // Every update it received was confirmed: none will be delivered again. (Updates that arrived after
    // polling stopped, such as the announcement of a topic its last job created, wait for the next start.)
    const delivered = new Set(emu.updatesDelivered());
    expect(emu.pendingUpdates().filter((u) => delivered.has(u.update_id))).toEqual([]);
  });
});

/** The live topic of the i-th crash customer and how many copies of their first message it holds. */
function liveTopicWith(emu: BotApiEmulator, i: number): { threadId: number; copies: number } | undefined {
  const text = `crash test message ${i}`;
  const topic = emu.topics().find((t) => !t.deleted && t.name.endsWith(` · ${text}`));
  if (!topic) return undefined;
  const copies = topicMessages(emu, topic.message_thread_id).filter((m) => m.from?.id === emu.botUser.id && m.text === text).length;
  return { threadId: topic.message_thread_id, copies };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
