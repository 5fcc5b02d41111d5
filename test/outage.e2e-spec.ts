import type { TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Telegram failing for a while, then back: nothing acknowledged or copied is lost, nothing doubles. */
describe('Telegram outages', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());
  afterEach(() => {
    desk.emu.clearFaults();
    desk.emu.setNetworkDown(false);
  });

  const deliveredAll = (users: TgUser[], label: string) => {
    const { emu } = desk;
    return emu.waitFor(
      () =>
        users.every((user, i) => {
          const topic = emu.topics().find((t) => t.name.endsWith(` · ${label} ${i}`));
          return ackFor(emu, user.id) && topic && topicMessages(emu, topic.message_thread_id).some((m) => m.text === `${label} ${i}`);
        }) || undefined,
      { what: `every ${label} ticket to be acknowledged and copied`, timeoutMs: 45_000 },
    );
  };

  const assertOnce = (users: TgUser[], label: string) => {
    const { emu } = desk;
    users.forEach((user, i) => {
      expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
      const topics = emu.topics().filter((t) => t.name.endsWith(` · ${label} ${i}`));
      expect(topics).toHaveLength(1);
      expect(topicMessages(emu, topics[0].message_thread_id).filter((m) => m.text === `${label} ${i}`)).toHaveLength(1);
    });
  };

  it('delivers everything after a burst of 5xx answers', async () => {
    const { emu } = desk;
    const users = Array.from({ length: 5 }, (_, i) => emu.createUser({ first_name: `Five${i}`, language_code: 'en' }));
    await Promise.all(users.map((user) => chooseCategory(emu, user)));
    emu.setFault('*', { rate5xx: 1 });
    users.forEach((user, i) => emu.userSendText(user.id, `5xx ${i}`));
    await emu.waitFor(() => emu.callRecords().filter((c) => c.status === 502).length >= 5 || undefined, { what: 'the failures' });
    await sleep(3000);
    expect(users.some((user) => ackFor(emu, user.id))).toBe(false);
    emu.clearFaults();
    await deliveredAll(users, '5xx');
    assertOnce(users, '5xx');
  });

  it('delivers everything after the network to Telegram drops and comes back', async () => {
    const { emu } = desk;
    const users = Array.from({ length: 5 }, (_, i) => emu.createUser({ first_name: `Drop${i}`, language_code: 'en' }));
    await Promise.all(users.map((user) => chooseCategory(emu, user)));
    emu.setNetworkDown(true);
    users.forEach((user, i) => emu.userSendText(user.id, `drop ${i}`));
    await sleep(3000);
    expect(users.some((user) => ackFor(emu, user.id))).toBe(false);
    emu.setNetworkDown(false);
    await deliveredAll(users, 'drop');
    assertOnce(users, 'drop');
  });

  it('keeps the acknowledgement when only the topic side fails, and delivers the topic later', async () => {
    const { emu } = desk;
    const users = Array.from({ length: 3 }, (_, i) => emu.createUser({ first_name: `Half${i}`, language_code: 'en' }));
    await Promise.all(users.map((user) => chooseCategory(emu, user)));
    emu.setFault('createForumTopic', { rate5xx: 1 });
    users.forEach((user, i) => emu.userSendText(user.id, `half ${i}`));
    await emu.waitFor(() => users.every((user) => ackFor(emu, user.id)) || undefined, { what: 'the acknowledgements' });
    await emu.waitFor(() => emu.callRecords('createForumTopic').filter((c) => c.status === 502).length >= 3 || undefined, { what: 'failed topics' });
    emu.clearFaults();
    await deliveredAll(users, 'half');
    assertOnce(users, 'half');
  });
});
