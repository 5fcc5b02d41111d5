import { Client } from 'pg';
import type { TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const OUTAGE_MS = 20_000;

/**
 * The database refuses every connection for 20 s while customers and an agent go on writing: nothing
 * may be confirmed to Telegram unstored, and afterwards everything arrives exactly once, in order.
 */
describe('a database outage of 20 seconds', () => {
  let desk: TestDesk;
  let admin: Client;
  let agent: TgUser;

  beforeAll(async () => {
    desk = await startDesk();
    agent = desk.emu.createAgent({ first_name: 'Olga', admin: true });
    admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${databaseName()}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await desk?.close();
  });

  const databaseName = () => new URL(desk.databaseUrl).pathname.slice(1);
  const copiesIn = (threadId: number) =>
    topicMessages(desk.emu, threadId)
      .filter((m) => m.from?.id === desk.emu.botUser.id && m.text && !/^🎫/u.test(m.text))
      .map((m) => m.text);
  const fromTeam = (user: TgUser) => botMessages(desk.emu, user.id).map((m) => m.text ?? '');
  const topicOf = (text: string) => desk.emu.topics().find((t) => t.name.endsWith(` · ${text}`));

  /** Refuses new connections and ends the open ones, again and again, for `ms`. */
  async function outage(ms: number, during: () => Promise<void>): Promise<void> {
    const name = databaseName();
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    const kill = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
    await kill();
    const until = Date.now() + ms;
    const killer = (async () => {
      while (Date.now() < until) {
        await kill();
        await sleep(500);
      }
    })();
    await during();
    await killer;
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
  }

  it('loses nothing the customers and the agent wrote meanwhile, repeats nothing, and keeps running', async () => {
    const { emu } = desk;
    const customer = emu.createUser({ first_name: 'Before', language_code: 'en' });
    await chooseCategory(emu, customer);
    emu.userSendText(customer.id, 'printer on fire');
    await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => topicOf('printer on fire'), { what: 'the topic' });
    await emu.waitFor(() => (copiesIn(topic.message_thread_id).length === 1 ? true : undefined), { what: 'the first copy' });
    const newcomers = [emu.createUser({ first_name: 'New1', language_code: 'en' }), emu.createUser({ first_name: 'New2', language_code: 'ru' })];
    for (const user of newcomers) await chooseCategory(emu, user, { language: user.language_code as 'en' | 'ru' });

    const offsetBefore = confirmedOffset();
    await outage(OUTAGE_MS, async () => {
      await sleep(1000);
      for (const text of ['still burning', 'now smoke', 'never mind, it is out']) {
        emu.userSendText(customer.id, text);
        await sleep(700);
      }
      emu.userSendText(newcomers[0].id, 'cannot log in');
      emu.userSendText(newcomers[1].id, 'не приходит письмо');
      emu.agentSend(agent.id, { threadId: topic.message_thread_id, text: 'first answer' });
      await sleep(500);
      emu.agentSend(agent.id, { threadId: topic.message_thread_id, text: 'second answer' });
      await sleep(3000);
      // Nothing of what was written during the outage may be confirmed to Telegram while it cannot be stored.
      expect(confirmedOffset()).toBe(offsetBefore);
    });

    const back = Date.now();
    const expected = ['printer on fire', 'still burning', 'now smoke', 'never mind, it is out'];
    await emu.waitFor(() => (copiesIn(topic.message_thread_id).length >= expected.length ? true : undefined), {
      what: 'the customer messages written during the outage in the topic',
      timeoutMs: 60_000,
    });
    await emu.waitFor(() => (fromTeam(customer).filter((t) => /answer$/.test(t)).length >= 2 ? true : undefined), {
      what: 'both agent answers at the customer',
      timeoutMs: 60_000,
    });
    for (const user of newcomers) {
      await emu.waitFor(() => ackFor(emu, user.id), { what: `the acknowledgement of ${user.first_name}`, timeoutMs: 60_000 });
    }
    await emu.waitFor(() => topicOf('cannot log in') && topicOf('не приходит письмо'), { what: 'the newcomers’ topics', timeoutMs: 60_000 });
    process.stdout.write(`database outage: everything written during ${OUTAGE_MS / 1000} s of outage was delivered ${Date.now() - back} ms after the database came back\n`);
    await sleep(2000);

    expect(copiesIn(topic.message_thread_id)).toEqual(expected);
    expect(fromTeam(customer).filter((t) => /answer$/.test(t))).toEqual(['first answer', 'second answer']);
    for (const user of newcomers) {
      expect(fromTeam(user).filter((t) => /Thank you for your request|Спасибо за ваше обращение/.test(t))).toHaveLength(1);
    }
    expect(copiesIn(topicOf('cannot log in')!.message_thread_id)).toEqual(['cannot log in']);
    expect(copiesIn(topicOf('не приходит письмо')!.message_thread_id)).toEqual(['не приходит письмо']);
    expect(emu.topics().filter((t) => /cannot log in|не приходит письмо|printer on fire/.test(t.name))).toHaveLength(3);
    // The app never exited: it still answers its health check.
    const address = desk.app.getHttpServer().address() as { port: number };
    expect((await fetch(`http://127.0.0.1:${address.port}/health`)).status).toBe(200);
  }, 150_000);

  /** The offset the bot last confirmed to the emulator (its latest getUpdates). */
  function confirmedOffset(): number {
    const polls = desk.emu.callRecords('getUpdates');
    return Math.max(0, ...polls.map((c) => Number((c.params as { offset?: number }).offset ?? 0)));
  }
});
