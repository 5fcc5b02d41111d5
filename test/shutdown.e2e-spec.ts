import { BotApiEmulator } from '../src/sandbox/emulator';
import { ChildApp, buildApp, childEnv, startPollingChild, stopChildren } from './support/child-app';
import { createTestDatabase, queryOnce } from './support/database';
import { ackFor, botMessages, chooseCategory, sleep } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Docker's stop: SIGTERM, then SIGKILL this long after. */
const DOCKER_STOP_MS = 10_000;
/** Telegram takes this long to create the topic: the job is still waiting for it when the stop runs out. */
const TOPIC_LATENCY_MS = 20_000;

/**
 * The built app stopped as Docker stops it while a job is in the middle of a Bot API call (a topic
 * Telegram takes 20 s to create): it exits 0 within Docker's 10 s anyway, and the next start finishes
 * the ticket, with one topic and one copy of the message, whichever side the topic Telegram made lands on.
 */
describe('SIGTERM while a job waits for Telegram (built app)', () => {
  let emu: BotApiEmulator;
  let database: { url: string; drop(): Promise<void> };
  let env: Record<string, string>;
  const children: ChildApp[] = [];

  const sql = <T>(text: string, values: unknown[] = []) => queryOnce<T>(database.url, text, values);

  const startApp = () => startPollingChild(emu, env, children);

  beforeAll(async () => {
    buildApp();
    emu = new BotApiEmulator();
    await emu.start();
    database = await createTestDatabase();
    env = childEnv(emu, database.url, { PORT: '0', LOG_FORMAT: 'json' });
  }, 180_000);

  afterAll(async () => {
    await stopChildren('shutdown', children);
    await emu?.stop();
    await database?.drop();
  });

  it("exits 0 within Docker's 10 s with a topic creation in flight, and the next start finishes the ticket once", async () => {
    emu.setFault('createForumTopic', { latencyMs: TOPIC_LATENCY_MS });
    const first = await startApp();
    const customer = emu.createUser({ first_name: 'Tereza', language_code: 'en' });
    await chooseCategory(emu, customer);
    const text = 'my parcel went to the wrong locker';
    emu.userSendText(customer.id, text);
    await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });
    const inFlight = () => emu.callRecords('createForumTopic').filter((c) => c.endSeq === undefined);
    await emu.waitFor(() => inFlight().length > 0 || undefined, { what: 'the topic creation to be in flight' });

    const stopAt = Date.now();
    first.kill('SIGTERM');
    let killAt: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      first.exited,
      new Promise<'still running'>((resolve) => (killAt = setTimeout(() => resolve('still running'), DOCKER_STOP_MS))),
    ]);
    clearTimeout(killAt);
    const stoppedInMs = Date.now() - stopAt;
    expect(exit).toEqual({ code: 0, signal: null });
    // It really left with the call unanswered: the job's work is for the next start.
    expect(inFlight()).toHaveLength(1);
    const [ticket] = await sql<{ id: string; thread_id: number | null }>(`SELECT id, thread_id FROM tickets WHERE customer_id = $1`, [customer.id]);
    expect(ticket.thread_id).toBeNull();

    // Telegram is quick again; the call in flight still ends (and makes its topic) 20 s after it began.
    emu.clearFaults();
    await startApp();
    const live = () => emu.topics().filter((t) => !t.deleted && t.name.startsWith(`#${ticket.id} `));
    const copies = () => live().flatMap((t) => topicMessages(emu, t.message_thread_id)).filter((m) => m.from?.id === emu.botUser.id && (m.text ?? '').includes(text));
    await emu.waitFor(() => (live().length && copies().length) || undefined, { what: 'the topic and the copy after the restart', timeoutMs: 60_000 });
    // Past the end of the call that was in flight, and the announcement of its topic.
    await emu.waitFor(() => inFlight().length === 0 || undefined, { what: 'the first call to end', timeoutMs: 30_000 });
    await sleep(3000);

    expect(live()).toHaveLength(1);
    expect(copies()).toHaveLength(1);
    expect(botMessages(emu, customer.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
    const [recorded] = await sql<{ thread_id: number }>(`SELECT thread_id FROM tickets WHERE id = $1`, [ticket.id]);
    expect(recorded.thread_id).toBe(live()[0].message_thread_id);
    const created = emu.topics().filter((t) => t.name.startsWith(`#${ticket.id} `)).length;
    process.stdout.write(`shutdown: exited 0 ${stoppedInMs} ms after SIGTERM with a topic creation in flight; topics created for the ticket: ${created}, live: 1\n`);
  }, 120_000);
});
