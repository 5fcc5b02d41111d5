import type { TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const AWAY_MS = 20_000;

/**
 * The bot is removed from the support group and re-added as an administrator 20 s later: what customers
 * wrote meanwhile reaches the topics once and in order, and nobody is told their message is unsupported.
 */
describe('the bot loses its place in the support group and gets it back', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  const copiesIn = (threadId: number) =>
    topicMessages(desk.emu, threadId)
      .filter((m) => m.from?.id === desk.emu.botUser.id && m.text && !/^🎫/u.test(m.text) && !/^[⚠️⛔✅🔒]/u.test(m.text))
      .map((m) => m.text);
  const topicOf = (text: string) => desk.emu.topics().find((t) => t.name.endsWith(` · ${text}`));
  const told = (user: TgUser, pattern: RegExp) => botMessages(desk.emu, user.id).filter((m) => pattern.test(m.text ?? ''));
  const health = async () => {
    const address = desk.app.getHttpServer().address() as { port: number };
    return (await (await fetch(`http://127.0.0.1:${address.port}/health`)).json()) as { status: string; supportGroup: { ok: boolean } };
  };

  it('pauses group work while it is out and delivers everything, once and in order, when it is back', async () => {
    const { emu } = desk;
    const customer = emu.createUser({ first_name: 'Early', language_code: 'en' });
    await chooseCategory(emu, customer);
    emu.userSendText(customer.id, 'the invoice is wrong');
    await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => topicOf('the invoice is wrong'), { what: 'the topic' });
    await emu.waitFor(() => (copiesIn(topic.message_thread_id).length === 1 ? true : undefined), { what: 'the first copy' });
    const newcomer = emu.createUser({ first_name: 'Later', language_code: 'ru' });
    await chooseCategory(emu, newcomer, { language: 'ru' });

    emu.removeBotFromGroup();
    const written = ['it says 120 instead of 100', 'and the VAT is missing', 'please fix it'];
    for (const text of written) {
      emu.userSendText(customer.id, text);
      await sleep(300);
    }
    emu.userSendText(newcomer.id, 'не могу войти');
    await emu.waitFor(() => ackFor(emu, newcomer.id), { what: 'the acknowledgement while the bot is out of the group' });
    // The group's my_chat_member update (or the first failed group call) reports the lost access.
    let reported = await health();
    for (let i = 0; i < 50 && reported.supportGroup.ok; i++) {
      await sleep(100);
      reported = await health();
    }
    expect(reported).toMatchObject({ status: 'degraded', supportGroup: { ok: false } });
    await sleep(AWAY_MS);
    expect(copiesIn(topic.message_thread_id)).toEqual(['the invoice is wrong']);

    emu.restoreBotAsAdmin();
    const expected = ['the invoice is wrong', ...written];
    await emu.waitFor(() => (copiesIn(topic.message_thread_id).length >= expected.length ? true : undefined), {
      what: 'the messages written while the bot was out, in their topic',
      timeoutMs: 45_000,
    });
    const newTopic = await emu.waitFor(() => topicOf('не могу войти'), { what: 'the newcomer’s topic', timeoutMs: 45_000 });
    await emu.waitFor(() => (copiesIn(newTopic.message_thread_id).length ? true : undefined), { what: 'the newcomer’s first copy', timeoutMs: 45_000 });
    await sleep(1500);

    expect(copiesIn(topic.message_thread_id)).toEqual(expected);
    expect(copiesIn(newTopic.message_thread_id)).toEqual(['не могу войти']);
    expect(emu.topics().filter((t) => /не могу войти/.test(t.name))).toHaveLength(1);
    for (const user of [customer, newcomer]) {
      expect(told(user, /cannot be passed to the support team|нельзя передать команде поддержки/)).toEqual([]);
      expect(told(user, /Thank you for your request|Спасибо за ваше обращение/)).toHaveLength(1);
    }
    expect((await health()).supportGroup.ok).toBe(true);
  }, 120_000);
});
