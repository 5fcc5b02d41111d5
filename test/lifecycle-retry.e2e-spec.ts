import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Closing a ticket whose topic steps fail at first: the job is retried, the notices go out once. */
describe('a close whose group steps fail at first', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  it('tells the customer and notes the topic once, however often the job is retried', async () => {
    const { emu } = desk;
    const agent = emu.createAgent({ first_name: 'Ivan', admin: true });
    const user = emu.createUser({ first_name: 'Retry', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'please close me');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · please close me')), { what: 'the topic' });
    await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === 'please close me'), { what: 'the copy' });

    emu.setFault('editForumTopic', { failNext: { count: 2, code: 400, description: 'Bad Request: TOPIC_ID_INVALID' } });
    emu.agentSend(agent.id, { threadId: topic.message_thread_id, text: '/close' });
    await emu.waitFor(() => emu.topics().find((t) => t.message_thread_id === topic.message_thread_id && t.closed), {
      what: 'the topic to close after the retries',
      timeoutMs: 30_000,
    });
    await sleep(500);

    const closedNotices = botMessages(emu, user.id).filter((m) => /has been resolved and closed/.test(m.text ?? ''));
    expect(closedNotices).toHaveLength(1);
    const notes = topicMessages(emu, topic.message_thread_id).filter((m) => m.from?.id === emu.botUser.id && /^🔒/u.test(m.text ?? ''));
    expect(notes).toHaveLength(1);
    expect(emu.callRecords('editForumTopic').filter((c) => !c.ok).length).toBe(2);
  }, 60_000);
});
