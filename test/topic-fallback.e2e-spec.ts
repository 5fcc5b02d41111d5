import { TestDesk, ackFor, chooseCategory, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Telegram refuses the first name the bot picks for a topic: the ticket gets its topic anyway. */
describe('a topic name Telegram refuses', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  it('creates the topic with the plain "#N · category" name instead of retrying the refused one', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Named', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.setFault('createForumTopic', { failNext: { count: 1, code: 400, description: 'Bad Request: TOPIC_NAME_INVALID' } });
    emu.userSendText(user.id, 'a name Telegram dislikes');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => /^#\d+ · Something else$/.test(t.name)), { what: 'the plain topic', timeoutMs: 15_000 });
    await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === 'a name Telegram dislikes'), { what: 'the copy' });
    const attempts = emu.callRecords('createForumTopic');
    expect(attempts.map((c) => c.ok)).toEqual([false, true]);
    expect(String(attempts[0].params.name)).toContain('a name Telegram dislikes');
  });
});
