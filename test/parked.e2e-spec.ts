import { TestDesk, ackFor, botMessages, chooseCategory, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

interface LogLine {
  level: string;
  msg: string;
  update_id?: number;
}

/**
 * An update that fails for a reason no retry cures: a message whose id is beyond what the database
 * stores (PostgreSQL refuses the row with "out of range", on every attempt). It is tried 5 times
 * (2 + 4 + 8 + 16 s apart), parked, logged with its id, the customer is told something went wrong,
 * and the chat's next message, held behind it meanwhile, is handled.
 */
describe('an update that keeps failing', () => {
  let desk: TestDesk;
  const raw: string[] = [];
  const logLines = () =>
    raw
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);

  beforeAll(async () => {
    desk = await startDesk({ env: { LOG_FORMAT: 'json', LOG_LEVEL: 'log' }, logs: { write: (chunk: string) => void raw.push(chunk) } });
  });
  afterAll(() => desk?.close());

  it('is parked after its attempts, logged with its id, and the chat’s next message is still handled', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Poison', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'the screen stays black');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · the screen stays black')), { what: 'the topic' });

    const poison = emu.enqueueRawUpdate({
      message: {
        message_id: 3_000_000_000,
        date: Math.floor(Date.now() / 1000),
        chat: { id: user.id, type: 'private', first_name: user.first_name },
        from: user,
        text: 'a message Telegram numbered beyond 2^31',
      },
    });
    emu.userSendText(user.id, 'and it beeps twice');

    const parkedLine = await emu.waitFor(() => logLines().find((l) => /parked after 5 attempts/.test(l.msg)), { what: 'the update parked', timeoutMs: 60_000 });
    expect(parkedLine.level).toBe('error');
    expect(parkedLine.msg).toMatch(new RegExp(`^update ${poison} parked after 5 attempts: .*out of range`));
    expect(parkedLine.update_id).toBe(poison);
    // Each earlier attempt was a warning naming the update, none was taken for an outage.
    const attempts = logLines().filter((l) => l.msg.startsWith(`update ${poison} failed (attempt `));
    expect(attempts.map((l) => /attempt (\d)\/5/.exec(l.msg)?.[1])).toEqual(['1', '2', '3', '4']);
    expect(logLines().some((l) => l.msg.includes(`update ${poison} waits for the infrastructure`))).toBe(false);

    const [row] = await desk.sql<{ attempts: number; parked: boolean; last_error: string }>(
      `SELECT attempts, parked_at IS NOT NULL AS parked, last_error FROM telegram_inbox WHERE update_id = $1`,
      [poison],
    );
    expect(row).toMatchObject({ attempts: 5, parked: true });
    expect(row.last_error).toMatch(/out of range/);

    // The customer hears that something went wrong, and the message after it reaches the topic.
    await emu.waitFor(() => botMessages(emu, user.id).find((m) => /something went wrong/.test(m.text ?? '')), { what: 'the apology' });
    const copies = () => topicMessages(emu, topic.message_thread_id).filter((m) => m.from?.id === emu.botUser.id).map((m) => m.text);
    await emu.waitFor(() => copies().includes('and it beeps twice') || undefined, { what: 'the next message in the topic' });
    expect(copies().filter((t) => t === 'and it beeps twice')).toHaveLength(1);
    expect(copies()).not.toContain('a message Telegram numbered beyond 2^31');
    // Held behind the poison until it was parked: the chat's order held.
    const [next] = await desk.sql<{ after: boolean }>(
      `SELECT m.created_at >= i.parked_at AS after FROM ticket_messages m, telegram_inbox i WHERE m.text = 'and it beeps twice' AND i.update_id = $1`,
      [poison],
    );
    expect(next.after).toBe(true);
  }, 90_000);

  it('stores a message with a NUL character (which PostgreSQL refuses) with the character replaced, and goes on', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Nul', language_code: 'en' });
    const other = emu.createUser({ first_name: 'Beside', language_code: 'en' });
    await chooseCategory(emu, user);
    await chooseCategory(emu, other);
    // In one batch with another customer's message: a batch that cannot be stored is confirmed to nobody.
    emu.userSendText(user.id, 'before\u0000after');
    emu.userSendText(other.id, 'a plain question');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement of the NUL message' });
    await emu.waitFor(() => ackFor(emu, other.id), { what: 'the acknowledgement beside it' });
    const [row] = await desk.sql<{ text: string }>(
      `SELECT m.text FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = $1 AND m.direction = 'customer'`,
      [user.id],
    );
    expect(row.text).toBe('before\uFFFDafter');
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.includes('#') && topicMessages(emu, t.message_thread_id).some((m) => m.text?.startsWith('before'))), {
      what: 'the message in its topic',
    });
    expect(topic).toBeDefined();
  });
});
