import { MAX_DRAFT } from '../src/tickets/tickets.service';
import { TestDesk, ackFor, botMessages, buttons, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const FLOOD = MAX_DRAFT + 5;

/**
 * One customer floods the bot before choosing a topic: others are served meanwhile, the flooder gets a
 * few menus rather than one per message, and what they wrote is kept (up to the limit, which they are
 * told about) and reaches the topic once they choose one.
 */
describe('a customer who floods the bot before choosing a topic', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  it('keeps the flood, bounds the menus, and serves the other customers meanwhile', async () => {
    const { emu } = desk;
    const flooder = emu.createUser({ first_name: 'Flood', language_code: 'en' });
    emu.userSendText(flooder.id, '/start');
    await emu.waitFor(() => botMessages(emu, flooder.id)[0], { what: 'the greeting' });
    const others = Array.from({ length: 10 }, (_, i) => emu.createUser({ first_name: `Other${i}`, language_code: 'en' }));
    for (const user of others) await chooseCategory(emu, user);

    const started = Date.now();
    for (let i = 1; i <= FLOOD; i++) emu.userSendText(flooder.id, `flood ${i}`);
    for (let i = 0; i < 50; i++) emu.userSendText(flooder.id, '/start');
    for (const user of others) emu.userSendText(user.id, `question of ${user.first_name}`);
    for (const user of others) await emu.waitFor(() => ackFor(emu, user.id), { what: `the acknowledgement of ${user.first_name}`, timeoutMs: 15_000 });

    const draftOf = async () => (await desk.sql<{ n: number }>(`SELECT jsonb_array_length(draft) AS n FROM customers WHERE id = $1`, [flooder.id]))[0]?.n;
    for (let i = 0; i < 100 && (await draftOf()) !== MAX_DRAFT; i++) await sleep(100);
    expect(await draftOf()).toBe(MAX_DRAFT);
    await sleep(1000);
    const seconds = (Date.now() - started) / 1000;
    const menus = botMessages(emu, flooder.id).filter((m) => /choose a topic first/.test(m.text ?? ''));
    const greetings = botMessages(emu, flooder.id).filter((m) => buttons(m).includes('lang:en')).length - 1;
    // At most one menu and one greeting per 5 seconds (and a first one right away), however many were asked for.
    expect(menus.length).toBeGreaterThanOrEqual(1);
    expect(menus.length).toBeLessThanOrEqual(1 + Math.ceil(seconds / 5));
    expect(greetings).toBeLessThanOrEqual(1 + Math.ceil(seconds / 5));
    const notices = botMessages(emu, flooder.id).filter((m) => /messages after them are not/.test(m.text ?? ''));
    expect(notices).toHaveLength(1);

    // Choosing a topic opens the ticket with everything that was kept, in order.
    const menu = menus.at(-1)!;
    emu.userClick(flooder.id, menu.message_id, 'cat:other');
    await emu.waitFor(() => ackFor(emu, flooder.id), { what: 'the flooder’s acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · flood 1')), { what: 'the flooder’s topic' });
    const copies = () =>
      topicMessages(emu, topic.message_thread_id)
        .filter((m) => m.from?.id === emu.botUser.id && /^flood \d+$/.test(m.text ?? ''))
        .map((m) => m.text);
    await emu.waitFor(() => (copies().length >= MAX_DRAFT ? true : undefined), { what: 'every kept message in the topic', timeoutMs: 60_000 });
    await sleep(500);
    expect(copies()).toEqual(Array.from({ length: MAX_DRAFT }, (_, i) => `flood ${i + 1}`));
  }, 120_000);
});
