import type { TgMessage, TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, rateLimitEnv, botMessages, chooseCategory, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const CUSTOMERS = 30;
const MESSAGES = 3;

/**
 * Telegram's limits enforced by the emulator, plus 20% random 429s (retry_after 1-3 s): every message
 * still reaches its topic exactly once and in order, and acknowledgements go ahead of group traffic.
 * The group budget is scaled up (10/s, 600/min instead of 1/s, 20/min) on both sides so the run takes
 * seconds instead of the 8 minutes Telegram would need for 150 group messages; the mechanics are the same.
 */
describe('429 storm under enforced limits', () => {
  let desk: TestDesk;
  const limits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerSecond: 10, perGroupPerMinute: 600 };

  beforeAll(async () => {
    desk = await startDesk({ env: rateLimitEnv(limits) });
  });
  afterAll(() => desk?.close());

  it('delivers every message exactly once, in order, and acknowledges everyone first', async () => {
    const { emu } = desk;
    const users: TgUser[] = Array.from({ length: CUSTOMERS }, (_, i) => emu.createUser({ first_name: `Storm${i}`, language_code: 'en' }));
    await Promise.all(users.map((user) => chooseCategory(emu, user)));

    emu.setLimits({ enforce: true, ...limits });
    emu.setFault('*', { rate429: 0.2, retryAfter: [1, 3] });
    const stormStart = emu.seq();
    const text = (u: number, m: number) => `storm ${u} message ${m}`;
    users.forEach((user, u) => {
      for (let m = 1; m <= MESSAGES; m++) emu.userSendText(user.id, text(u, m));
    });

    const topicOf = (u: number) => emu.topics().find((t) => t.name.endsWith(` · ${text(u, 1)}`));
    const copiesIn = (threadId: number) =>
      topicMessages(emu, threadId).filter((m: TgMessage) => m.from?.id === emu.botUser.id && /^storm /.test(m.text ?? ''));
    await emu.waitFor(
      () => users.every((user, u) => ackFor(emu, user.id) && topicOf(u) && copiesIn(topicOf(u)!.message_thread_id).length >= MESSAGES) || undefined,
      { what: 'every acknowledgement and every copy', timeoutMs: 280_000 },
    );
    emu.clearFaults();

    const tooMany = emu.callRecords().filter((c) => c.startSeq > stormStart && c.status === 429).length;
    for (let u = 0; u < CUSTOMERS; u++) {
      expect(copiesIn(topicOf(u)!.message_thread_id).map((m) => m.text)).toEqual([text(u, 1), text(u, 2), text(u, 3)]);
      expect(botMessages(emu, users[u].id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
    }
    expect(emu.topics()).toHaveLength(CUSTOMERS);

    // Acknowledgements did not queue behind the group: the last one was out before half the group traffic.
    const ackEnds = users.map((user) => {
      const ack = ackFor(emu, user.id)!;
      return emu.messageSeq(user.id, ack.message_id);
    });
    const groupEnds = emu
      .callRecords()
      .filter((c) => c.startSeq > stormStart && c.ok && c.params.chat_id === emu.supportChatId)
      .map((c) => c.endSeq!)
      .sort((a, b) => a - b);
    const lastAck = Math.max(...ackEnds);
    const groupDoneBeforeLastAck = groupEnds.filter((seq) => seq < lastAck).length;
    process.stdout.write(
      `storm: ${CUSTOMERS} customers x ${MESSAGES} messages; ${tooMany} answers were 429; ${groupEnds.length} group sends; ` +
        `the last acknowledgement went out after ${groupDoneBeforeLastAck} of them\n`,
    );
    expect(tooMany).toBeGreaterThan(0);
    expect(groupDoneBeforeLastAck).toBeLessThan(groupEnds.length / 2);
  }, 300_000);
});
