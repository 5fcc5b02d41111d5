import type { BotApiEmulator, TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, chooseCategory, sleep, startDesk } from './support/test-desk';

/**
 * Two edits of one message in quick succession, the first one's mirror slow on Telegram's side: each
 * edit has its job, the jobs run side by side, and the copy must end with the latest text whatever
 * order Telegram carries the calls out in.
 */
describe('quick successive edits', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());
  afterEach(() => desk.emu.clearFaults());

  /** The id of the copy of a message (in the topic, or at the customer's). */
  const copyOf = async (chatId: number, messageId: number) =>
    (await desk.sql<{ copy: number | null }>(`SELECT copy_message_id AS copy FROM ticket_messages WHERE chat_id = $1 AND message_id = $2`, [chatId, messageId]))[0]?.copy;
  const waitForCopy = async (chatId: number, messageId: number) => {
    for (let i = 0; i < 100 && !(await copyOf(chatId, messageId)); i++) await sleep(100);
    const copy = await copyOf(chatId, messageId);
    if (!copy) throw new Error(`message ${messageId} was not copied`);
    return copy;
  };
  /** The edits mirrored into `chatId` so far, and whether one is still in Telegram's hands. */
  const edits = (emu: BotApiEmulator, chatId: number) => emu.callRecords('editMessageText').filter((c) => Number(c.params.chat_id) === chatId);

  const openTicket = async (user: TgUser, text: string) => {
    const { emu } = desk;
    await chooseCategory(emu, user);
    emu.userSendText(user.id, text);
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
  };

  it('leaves the topic’s copy with the customer’s latest text when the first edit’s mirror lands last', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Editor', language_code: 'en' });
    await openTicket(user, 'my router blinks red');
    const message = emu.userSendText(user.id, 'the price was 10');
    const copyId = await waitForCopy(user.id, message.message_id);

    // The first edit's mirror is held by Telegram for 1.5 s; the second goes through at once.
    emu.setFault('editMessageText', { latencyMs: 1500 });
    emu.userEdit(user.id, message.message_id, { text: 'the price was 20' });
    await emu.waitFor(() => edits(emu, emu.supportChatId).find((c) => c.finishedAt === undefined), { what: 'the first edit in flight' });
    emu.setFault('editMessageText', null);
    emu.userEdit(user.id, message.message_id, { text: 'the price was 30' });

    await emu.waitFor(() => emu.getMessage(emu.supportChatId, copyId)?.text === 'the price was 30' || undefined, { what: 'the second edit mirrored' });
    // Every mirror has landed (the held one too), and then some time for anything that would follow.
    await emu.waitFor(() => edits(emu, emu.supportChatId).every((c) => c.finishedAt !== undefined) || undefined, { what: 'the held edit to land' });
    await sleep(1000);
    await emu.waitFor(() => edits(emu, emu.supportChatId).every((c) => c.finishedAt !== undefined) || undefined, { what: 'every edit to land' });

    const texts = edits(emu, emu.supportChatId).map((c) => c.params.text);
    expect(texts).toContain('the price was 20');
    expect(emu.getMessage(emu.supportChatId, copyId)?.text).toBe('the price was 30');
  }, 60_000);

  it('leaves the customer’s copy with the agent’s latest text when the first edit’s mirror lands last', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Reader', language_code: 'en' });
    await openTicket(user, 'where is my parcel');
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · where is my parcel')), { what: 'the topic' });
    const agent = emu.createAgent({ first_name: 'Alex', admin: true });
    const answer = emu.agentSend(agent.id, { threadId: topic.message_thread_id, text: 'it leaves on Monday' });
    const copyId = await waitForCopy(emu.supportChatId, answer.message_id);

    emu.setFault('editMessageText', { latencyMs: 1500 });
    emu.agentEdit(agent.id, answer.message_id, { text: 'it leaves on Tuesday' });
    await emu.waitFor(() => edits(emu, user.id).find((c) => c.finishedAt === undefined), { what: 'the first edit in flight' });
    emu.setFault('editMessageText', null);
    emu.agentEdit(agent.id, answer.message_id, { text: 'it leaves on Wednesday' });

    await emu.waitFor(() => emu.getMessage(user.id, copyId)?.text === 'it leaves on Wednesday' || undefined, { what: 'the second edit mirrored' });
    await emu.waitFor(() => edits(emu, user.id).every((c) => c.finishedAt !== undefined) || undefined, { what: 'the held edit to land' });
    await sleep(1000);
    await emu.waitFor(() => edits(emu, user.id).every((c) => c.finishedAt !== undefined) || undefined, { what: 'every edit to land' });

    expect(edits(emu, user.id).map((c) => c.params.text)).toContain('it leaves on Tuesday');
    expect(emu.getMessage(user.id, copyId)?.text).toBe('it leaves on Wednesday');
  }, 60_000);
});
