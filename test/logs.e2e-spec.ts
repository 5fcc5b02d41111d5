import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const TOKEN = '7000001:AAH-a-long-token-that-must-never-be-logged';
const CUSTOMER_TEXT = 'my card 4111 was charged twice by the vending machine';
const AGENT_TEXT = 'we refunded the second charge of the vending machine';

interface LogLine {
  level: string;
  msg: string;
  context?: string;
  update_id?: number;
  chat?: number;
  ticket?: number;
  job?: string;
}

/**
 * The app's real logger (pino, LOG_FORMAT=json) writing into the test: every line parses, lines about an
 * update or a ticket name them, texts of customers and agents appear at debug level only, and the bot
 * token appears nowhere, not even where an error quotes a Bot API URL.
 */
describe('structured logs', () => {
  let desk: TestDesk;
  const raw: string[] = [];
  const lines = () => raw.join('').split('\n').filter(Boolean);
  const parsed = () => lines().map((line) => JSON.parse(line) as LogLine);

  beforeAll(async () => {
    desk = await startDesk({
      env: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
      emulator: { token: TOKEN },
      logs: { write: (chunk: string) => void raw.push(chunk) },
    });
  });
  afterAll(() => desk?.close());

  it('writes JSON lines that carry update_id, chat and ticket, and keeps texts and the token out of everything above debug', async () => {
    const { emu } = desk;
    const customer = emu.createUser({ first_name: 'Lena', language_code: 'en' });
    const agent = emu.createAgent({ first_name: 'Olga', admin: true });
    await chooseCategory(emu, customer);
    emu.userSendText(customer.id, CUSTOMER_TEXT);
    await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.includes('my card 4111')), { what: 'the topic' });
    await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === CUSTOMER_TEXT), { what: 'the copy' });
    emu.agentSend(agent.id, { threadId: topic.message_thread_id, text: AGENT_TEXT });
    await emu.waitFor(() => botMessages(emu, customer.id).find((m) => m.text === AGENT_TEXT), { what: 'the answer' });

    // A dead network: telegraf's errors quote the URL they failed on, and the token is part of it.
    const before = raw.length;
    emu.setNetworkDown(true);
    await emu.waitFor(() => (raw.slice(before).join('').includes('getUpdates failed') ? true : undefined), { what: 'a failed getUpdates in the log' });
    emu.setNetworkDown(false);
    await sleep(200);

    const all = parsed();
    const [{ id }] = await desk.sql<{ id: string }>('SELECT id FROM tickets WHERE customer_id = $1', [customer.id]);
    const ticket = Number(id);

    const opened = all.find((l) => l.context === 'Tickets' && /opened/.test(l.msg));
    expect(opened).toMatchObject({ level: 'info', ticket, chat: customer.id, update_id: expect.any(Number) });
    const handled = all.filter((l) => l.context === 'Updates' && l.chat === customer.id);
    expect(handled.length).toBeGreaterThan(0);
    expect(handled.every((l) => typeof l.update_id === 'number')).toBe(true);
    // A job's lines name the job and its ticket; the agent's update names the ticket it answered.
    expect(all.find((l) => l.context === 'TopicSync' && /created/.test(l.msg))).toMatchObject({ level: 'info', ticket, job: 'ticket.sync' });
    expect(all.some((l) => l.job === 'ticket.deliver' && l.ticket === ticket)).toBe(true);
    expect(all.some((l) => l.context === 'Updates' && l.chat === emu.supportChatId && l.ticket === ticket)).toBe(true);

    // The texts: at debug level at most (the topic's name is the customer's words, and it is logged there).
    const withText = lines().filter((line) => line.includes('vending machine'));
    expect(withText.length).toBeGreaterThan(0);
    expect(withText.map((line) => (JSON.parse(line) as LogLine).level)).toEqual(withText.map(() => 'debug'));

    const failed = all.find((l) => l.context === 'Polling' && /getUpdates failed/.test(l.msg));
    expect(failed?.msg).toMatch(/\/bot\S*\[redacted\]\/getUpdates/i);
    expect(raw.join('')).not.toContain(TOKEN);
    expect(raw.join('')).not.toContain(TOKEN.split(':')[1]);
  });
});
