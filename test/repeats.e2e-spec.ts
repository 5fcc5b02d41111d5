import type { CallRecord } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Methods whose repetition posts a second message or topic (the gateway counts those). */
const POSTS = /^(sendMessage|copyMessages?|forwardMessages?|send[A-Z]\w*|createForumTopic)$/;
const SERIES = 'helpdesk_telegram_unknown_outcome_repeats_total';

/**
 * Telegram carries a send out, but its answer never reaches the bot: the connection is cut while the
 * call is in Telegram's hands (the emulator holds the answer, then the network drops every connection
 * and comes back). The bot cannot know whether the send happened, sends it again (a customer message is
 * never dropped, a customer must learn their ticket exists), and counts each such repeat.
 */
describe('sends repeated after an unknown outcome', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());
  afterEach(() => desk.emu.clearFaults());

  /** The repeats counter by method, from /metrics. */
  const repeats = async (): Promise<Record<string, number>> => {
    const port = (desk.app.getHttpServer().address() as { port: number }).port;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const [, method, value] of text.matchAll(new RegExp(`^${SERIES}\\{method="(\\w+)"\\} (\\d+)$`, 'gm'))) counts[method] = Number(value);
    return counts;
  };
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

  /**
   * Waits until `probe` finds a call in Telegram's hands, then cuts every connection: the calls in
   * flight are carried out when their latency ends, their answers go nowhere. Returns those calls.
   */
  const cutWhile = async (probe: (call: CallRecord) => boolean): Promise<CallRecord[]> => {
    const { emu } = desk;
    await emu.waitFor(() => emu.callRecords().find((c) => c.finishedAt === undefined && probe(c)), { what: 'the call in flight' });
    const inFlight = emu.callRecords().filter((c) => c.finishedAt === undefined);
    emu.setNetworkDown(true);
    emu.setNetworkDown(false);
    return inFlight;
  };
  /** Of the calls cut, the sends whose outcome the bot could not know (each is sent again). */
  const cutSends = async (cut: CallRecord[]) => {
    const { emu } = desk;
    // Carried out: each finished in the emulator (after its latency) although its answer was lost.
    await emu.waitFor(() => cut.every((c) => emu.callRecords().find((r) => r.id === c.id)?.finishedAt !== undefined) || undefined, { what: 'the cut calls to finish' });
    return cut.filter((c) => POSTS.test(c.method) && emu.callRecords().find((r) => r.id === c.id)!.ok);
  };

  const topicOf = (first: string) => desk.emu.topics().find((t) => t.name.endsWith(` · ${first}`));

  it('copies a customer message again when the copy’s answer was lost, and counts the repeat', async () => {
    const { emu } = desk;
    const before = await repeats();
    const user = emu.createUser({ first_name: 'Lost', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'my order never came');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => topicOf('my order never came'), { what: 'the topic' });
    const copiesOf = (text: string) => topicMessages(emu, topic.message_thread_id).filter((m) => m.from?.id === emu.botUser.id && m.text === text);
    await emu.waitFor(() => copiesOf('my order never came')[0], { what: 'the first message in the topic' });

    emu.setFault('copyMessage', { latencyMs: 1000 });
    emu.userSendText(user.id, 'the tracking number is 42');
    const cut = await cutWhile((c) => c.method === 'copyMessage' && Number(c.params.chat_id) === emu.supportChatId);
    emu.setFault('copyMessage', null);
    const sends = await cutSends(cut);
    expect(sends.map((c) => c.method)).toContain('copyMessage');

    // The gateway sent it again at once: the topic shows it twice (Telegram has no idempotency key).
    await emu.waitFor(() => copiesOf('the tracking number is 42').length >= 2 || undefined, { what: 'the copy sent again' });
    await sleep(500);
    expect(copiesOf('the tracking number is 42')).toHaveLength(2);
    const [row] = await desk.sql<{ copied: boolean }>(`SELECT copied_at IS NOT NULL AS copied FROM ticket_messages WHERE text = 'the tracking number is 42'`);
    expect(row.copied).toBe(true);
    // Every cut send was repeated and counted once: the copy among them.
    const after = await repeats();
    expect((after.copyMessage ?? 0) - (before.copyMessage ?? 0)).toBe(sends.filter((c) => c.method === 'copyMessage').length);
    expect(total(after) - total(before)).toBe(sends.length);
  }, 60_000);

  it('acknowledges again when the acknowledgement’s answer was lost, and counts the repeat', async () => {
    const { emu } = desk;
    const before = await repeats();
    const user = emu.createUser({ first_name: 'Twice', language_code: 'en' });
    await chooseCategory(emu, user);

    emu.setFault('sendMessage', { latencyMs: 1000 });
    emu.userSendText(user.id, 'the app crashes on start');
    const cut = await cutWhile((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === user.id);
    emu.setFault('sendMessage', null);
    const sends = await cutSends(cut);
    expect(sends.some((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === user.id)).toBe(true);

    // The inline acknowledgement got no answer; its job sends it again, knowing the first may have arrived.
    const acks = () => botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''));
    await emu.waitFor(() => acks().length >= 2 || undefined, { what: 'the acknowledgement sent again', timeoutMs: 20_000 });
    const recorded = async () => (await desk.sql<{ ack: number | null }>(`SELECT ack_message_id AS ack FROM tickets WHERE customer_id = $1`, [user.id]))[0]?.ack;
    for (let i = 0; i < 100 && !(await recorded()); i++) await sleep(100);
    expect(await recorded()).toBeTruthy();
    await sleep(500);
    expect(acks()).toHaveLength(2);
    const after = await repeats();
    expect(total(after) - total(before)).toBe(sends.length);
    expect((after.sendMessage ?? 0) - (before.sendMessage ?? 0)).toBe(sends.filter((c) => c.method === 'sendMessage').length);
  }, 60_000);

  it('does not count a send Telegram answered with an error', async () => {
    const { emu } = desk;
    const before = await repeats();
    const user = emu.createUser({ first_name: 'Known', language_code: 'en' });
    await chooseCategory(emu, user);
    // A 502 is an answer: nothing was sent, so the acknowledgement's next attempt repeats nothing.
    emu.setFault('sendMessage', { failNext: { count: 1, code: 502, description: 'Bad Gateway', chatId: user.id } });
    emu.userSendText(user.id, 'the printer is on fire');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement', timeoutMs: 20_000 });
    await sleep(500);
    expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
    expect(total(await repeats())).toBe(total(before));
  }, 60_000);
});
