import type { TgUser } from '../src/sandbox/emulator';
import { TestDesk, botMessages, startDesk, openTicket as openTicketIn } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Agent answers that Telegram would refuse as they are, with AGENT_SIGNATURE on. */
describe('agent answers at Telegram’s limits', () => {
  let desk: TestDesk;
  let agent: TgUser;

  beforeAll(async () => {
    desk = await startDesk({ env: { AGENT_SIGNATURE: 'true' } });
    agent = desk.emu.createAgent({ first_name: 'Olga', admin: true });
  });
  afterAll(() => desk?.close());

  // The card and the copy are in: the group's own sends are done before a test injects a fault.
  const openTicket = (text: string) => openTicketIn(desk.emu, text, { name: 'Limits' });


  it('signs an ordinary answer, and delivers one the signature would push past 4096 characters unsigned', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket('long answers please');
    emu.agentSend(agent.id, { threadId, text: 'short one' });
    const long = 'x'.repeat(4090);
    emu.agentSend(agent.id, { threadId, text: long });
    const answers = await emu.waitFor(() => {
      const got = botMessages(emu, user.id).filter((m) => (m.text ?? '').startsWith('short one') || (m.text ?? '').startsWith('xxx'));
      return got.length === 2 ? got : undefined;
    }, { what: 'both answers' });
    expect(answers[0].text).toMatch(/^short one\n\n.*Olga/s);
    expect(answers[1].text).toBe(long);
  });

  it('tells the agent in the topic when Telegram rejects an answer, and delivers the next one', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket('rejected answers');
    emu.setFault('sendMessage', { failNext: { count: 1, code: 400, description: 'Bad Request: message is too long' } });
    const rejected = emu.agentSend(agent.id, { threadId, text: 'this one fails' });
    const note = await emu.waitFor(
      () => topicMessages(emu, threadId).find((m) => m.from?.id === emu.botUser.id && /not delivered to the customer/.test(m.text ?? '')),
      { what: 'the note in the topic' },
    );
    expect(note.text).toContain('message is too long');
    expect(note.reply_to_message?.message_id).toBe(rejected.message_id);
    emu.agentSend(agent.id, { threadId, text: 'this one arrives' });
    await emu.waitFor(() => botMessages(emu, user.id).find((m) => (m.text ?? '').startsWith('this one arrives')), { what: 'the next answer' });
    expect(botMessages(emu, user.id).filter((m) => (m.text ?? '').startsWith('this one fails'))).toEqual([]);
  });
});
