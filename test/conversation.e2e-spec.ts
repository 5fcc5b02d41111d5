import type { TgMessage, TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, handled, sleep, startDesk, copyInTopic, openTicket as openTicketIn } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Both directions of a ticket: agents answer in the topic, customers see the team. */
describe('conversation both ways', () => {
  let desk: TestDesk;
  let agent: TgUser;
  let seq = 0;

  beforeAll(async () => {
    desk = await startDesk();
    agent = desk.emu.createAgent({ first_name: 'Olga', admin: true });
  });
  afterAll(() => desk?.close());
  afterEach(() => desk.emu.clearFaults());

  /** A customer with an open ticket whose first message is already in its topic. */
  const openTicket = (first = `hello ${++seq}`) => openTicketIn(desk.emu, first, { name: `Customer${seq}` });
  const copyIn = (threadId: number, text: string) => copyInTopic(desk.emu, threadId, text);
  const fromTeam = (userId: number) => botMessages(desk.emu, userId);
  const ticketRow = async (id: number) => (await desk.sql<{ status: string; thread_id: number }>('SELECT * FROM tickets WHERE id = $1', [id]))[0];

  it('copies an agent text and photo to the customer, as the team', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket();
    emu.agentSend(agent.id, { threadId, text: 'We are on it', entities: [{ type: 'bold', offset: 0, length: 2 }] });
    emu.agentSend(agent.id, { threadId, photo: true, caption: 'this screen' });
    const answers = await emu.waitFor(() => {
      const got = fromTeam(user.id).filter((m) => m.text === 'We are on it' || m.caption === 'this screen');
      return got.length === 2 ? got : undefined;
    }, { what: 'both answers' });
    expect(answers[0].entities).toEqual([{ type: 'bold', offset: 0, length: 2 }]);
    expect(answers[1].photo?.length).toBeGreaterThan(0);
    expect(answers.every((m) => m.from?.id === emu.botUser.id)).toBe(true);
  });

  it('maps replies both ways through the two-way message map', async () => {
    const { emu } = desk;
    const { user, threadId, first } = await openTicket('my first question');
    emu.userSendText(user.id, 'and a second one');
    const copyOfFirst = copyIn(threadId, 'my first question')!;
    await emu.waitFor(() => copyIn(threadId, 'and a second one'), { what: 'the second copy' });

    emu.agentSend(agent.id, { threadId, text: 'answer to the first', reply_to_message_id: copyOfFirst.message_id });
    const answer = await emu.waitFor(() => fromTeam(user.id).find((m) => m.text === 'answer to the first'), { what: 'the answer' });
    expect(answer.reply_to_message?.message_id).toBe(first.message_id);

    const agentOriginal = topicMessages(emu, threadId).find((m) => m.from?.id === agent.id && m.text === 'answer to the first')!;
    emu.userSendText(user.id, 'thanks, but', { reply_to_message_id: answer.message_id });
    const copy = await emu.waitFor(() => copyIn(threadId, 'thanks, but'), { what: 'the reply in the topic' });
    expect(copy.reply_to_message?.message_id).toBe(agentOriginal.message_id);
  });

  it('keeps internal notes in the topic', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket();
    emu.agentSend(agent.id, { threadId, text: '// looks like a duplicate charge' });
    emu.agentSend(agent.id, { threadId, text: '/note check the payment provider' });
    emu.agentSend(agent.id, { threadId, text: 'visible answer' });
    await emu.waitFor(() => fromTeam(user.id).find((m) => m.text === 'visible answer'), { what: 'the visible answer' });
    expect(fromTeam(user.id).filter((m) => /duplicate charge|payment provider/.test(m.text ?? ''))).toEqual([]);
  });

  it('closes ticket and topic on /close from an agent, and tells the customer', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket();
    emu.agentSend(agent.id, { threadId, text: '/close' });
    const told = await emu.waitFor(() => fromTeam(user.id).find((m) => /has been resolved and closed/.test(m.text ?? '')), { what: 'the customer told' });
    expect(told.text).toContain(`#${ticketId}`);
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.message_thread_id === threadId && t.closed), { what: 'the closed topic' });
    expect(topic.name.startsWith('✅ ')).toBe(true);
    expect((await ticketRow(ticketId)).status).toBe('closed');
    expect(topicMessages(emu, threadId).some((m) => /Closed by Olga/.test(m.text ?? ''))).toBe(true);
    // The acknowledgement's "Close request" button is gone.
    await emu.waitFor(() => ((ackFor(emu, user.id)!.reply_markup as { inline_keyboard?: unknown[] } | undefined)?.inline_keyboard ?? []).length === 0 || undefined, {
      what: 'the close button removed',
    });
  });

  it("closes ticket and topic with the customer's button", async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket();
    const ack = ackFor(emu, user.id)!;
    emu.userClick(user.id, ack.message_id, `close:${ticketId}`);
    await emu.waitFor(() => fromTeam(user.id).find((m) => /is closed\. Thank you/.test(m.text ?? '')), { what: 'the confirmation' });
    await emu.waitFor(() => emu.topics().find((t) => t.message_thread_id === threadId && t.closed), { what: 'the closed topic' });
    expect(topicMessages(emu, threadId).some((m) => /customer closed the ticket/.test(m.text ?? ''))).toBe(true);
    expect((await ticketRow(ticketId)).status).toBe('closed');
  });

  it('reopens the ticket when the customer writes within the window, and starts anew after it', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket();
    emu.userSendText(user.id, '/close');
    await emu.waitFor(() => emu.topics().find((t) => t.message_thread_id === threadId && t.closed), { what: 'the closed topic' });

    emu.userSendText(user.id, 'actually, one more thing');
    await emu.waitFor(() => copyIn(threadId, 'actually, one more thing'), { what: 'the message in the reopened topic' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.message_thread_id === threadId && !t.closed && !t.name.startsWith('✅')), {
      what: 'the reopened topic',
    });
    expect(topic).toBeDefined();
    expect((await ticketRow(ticketId)).status).toBe('open');
    // The customer's chat keeps its own pace (three messages per three seconds), so this may come a moment later.
    await emu.waitFor(() => fromTeam(user.id).find((m) => /is open again/.test(m.text ?? '')), { what: 'the customer told' });

    // Outside the window (the ticket closed two days ago), a new ticket starts with the category step.
    emu.userSendText(user.id, '/close');
    await emu.waitFor(() => fromTeam(user.id).filter((m) => /is closed\. Thank you/.test(m.text ?? '')).length === 2 || undefined, {
      what: 'closed again',
    });
    await desk.sql(`UPDATE tickets SET closed_at = now() - interval '2 days' WHERE id = $1`, [ticketId]);
    const topicsBefore = emu.topics().length;
    emu.userSendText(user.id, 'a completely new problem');
    await emu.waitFor(() => fromTeam(user.id).find((m) => /choose a topic first/.test(m.text ?? '')), { what: 'the category prompt' });
    expect(emu.topics()).toHaveLength(topicsBefore);
    expect((await ticketRow(ticketId)).status).toBe('closed');
  });

  it('mirrors an album of 3 photos as one album, both ways', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket();
    for (let i = 1; i <= 3; i++) emu.userSendPhoto(user.id, { media_group_id: 'album-c', caption: i === 1 ? 'three photos' : undefined });
    const copies = await emu.waitFor(() => {
      const photos = topicMessages(emu, threadId).filter((m) => m.from?.id === emu.botUser.id && m.photo);
      return photos.length === 3 ? photos : undefined;
    }, { what: 'the album in the topic' });
    expect(new Set(copies.map((m) => m.media_group_id)).size).toBe(1);
    expect(copies[0].media_group_id).toBeDefined();
    expect(copies[0].caption).toBe('three photos');

    for (let i = 1; i <= 3; i++) emu.agentSend(agent.id, { threadId, photo: true, media_group_id: 'album-a', caption: i === 1 ? 'our screens' : undefined });
    const delivered = await emu.waitFor(() => {
      const photos = fromTeam(user.id).filter((m) => m.photo);
      return photos.length === 3 ? photos : undefined;
    }, { what: 'the album at the customer' });
    expect(new Set(delivered.map((m) => m.media_group_id)).size).toBe(1);
    expect(delivered[0].media_group_id).toBeDefined();
    expect(emu.callRecords('copyMessages').filter((c) => c.params.chat_id === emu.supportChatId)).toHaveLength(1);
    expect(emu.callRecords('copyMessages').filter((c) => c.params.chat_id === user.id)).toHaveLength(1);
  });

  it('mirrors a customer edit into the topic and an agent edit to the customer', async () => {
    const { emu } = desk;
    const { user, threadId, first } = await openTicket('my order is 1234');
    emu.userEdit(user.id, first.message_id, { text: 'my order is 1243' });
    await emu.waitFor(() => copyIn(threadId, 'my order is 1243'), { what: 'the edited copy in the topic' });

    const answer = emu.agentSend(agent.id, { threadId, text: 'refund sent today' });
    await emu.waitFor(() => fromTeam(user.id).find((m) => m.text === 'refund sent today'), { what: 'the answer' });
    emu.agentEdit(agent.id, answer.message_id, { text: 'refund sent yesterday' });
    const edited = await emu.waitFor(() => fromTeam(user.id).find((m) => m.text === 'refund sent yesterday'), { what: 'the edited answer' });
    expect(edited.edit_date).toBeDefined();
  });

  it('recreates a deleted topic and lands the message there', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket();
    emu.adminDeleteTopic(threadId);
    emu.userSendText(user.id, 'are you there?');
    const topic = await emu.waitFor(
      () => emu.topics().find((t) => !t.deleted && t.message_thread_id !== threadId && t.name.startsWith(`#${ticketId} `)),
      { what: 'the new topic' },
    );
    await emu.waitFor(() => copyIn(topic.message_thread_id, 'are you there?'), { what: 'the message in the new topic' });
    const texts = () => topicMessages(emu, topic.message_thread_id).map((m) => m.text ?? '');
    // The card (carrying the message), then the note that the earlier topic is gone.
    await emu.waitFor(() => texts().find((t) => /previous topic of this ticket was deleted/.test(t)), { what: 'the note in the new topic' });
    expect(texts()[0]).toMatch(new RegExp(`Ticket #${ticketId}`));
    expect((await ticketRow(ticketId)).thread_id).toBe(topic.message_thread_id);
  });

  it('reports a customer who blocked the bot in the topic and does not retry forever', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket();
    emu.setFault('copyMessage', { failNext: { count: 1, code: 403, description: 'Forbidden: bot was blocked by the user' } });
    emu.agentSend(agent.id, { threadId, text: 'are you still there?' });
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => /blocked the bot/.test(m.text ?? '')), { what: 'the note in the topic' });
    await sleep(2500);
    const attempts = emu.callRecords('copyMessage').filter((c) => c.params.chat_id === user.id);
    expect(attempts).toHaveLength(1);
    const [row] = await desk.sql<{ failed_reason: string }>(`SELECT failed_reason FROM ticket_messages WHERE direction = 'agent' AND text = 'are you still there?'`);
    expect(row.failed_reason).toBe('blocked');

    // Unblocking (Telegram's my_chat_member "member") is noticed and said.
    emu.userBlockBot(user.id);
    emu.userUnblockBot(user.id);
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => /unblocked the bot/.test(m.text ?? '')), { what: 'the unblock note' });
  });

  it('answers a message Telegram cannot copy, and notes it in the topic', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket();
    const quiz = emu.userSend(user.id, {
      poll: { id: 'p1', question: 'Which?', options: [{ text: 'a', voter_count: 0 }, { text: 'b', voter_count: 0 }], total_voter_count: 0, is_closed: false, is_anonymous: true, type: 'quiz', allows_multiple_answers: false },
    } as Partial<TgMessage>);
    const answer = await emu.waitFor(() => fromTeam(user.id).find((m) => /cannot be passed to the support team/.test(m.text ?? '')), { what: 'the answer' });
    expect(answer.reply_to_message?.message_id).toBe(quiz.message_id);
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => /sent a poll/.test(m.text ?? '')), { what: 'the note' });
  });

  it('lets nothing from another group or the General topic reach a customer', async () => {
    const { emu } = desk;
    const { user } = await openTicket();
    const before = fromTeam(user.id).length;
    const seqBefore = emu.seq();
    const other = emu.groupSend(agent, { id: -1009999999999, title: 'Elsewhere' }, { text: `to ${user.id}` });
    const general = emu.agentSend(agent.id, { text: 'in General' });
    const updates: number[] = [];
    emu.on('update', (u: { update_id: number }) => updates.push(u.update_id));
    emu.userSendText(user.id, 'marker');
    await emu.waitFor(() => emu.topics().some((t) => copyIn(t.message_thread_id, 'marker')) || undefined, { what: 'the marker copy' });
    expect(other.chat.id).not.toBe(emu.supportChatId);
    expect(general.message_thread_id).toBeUndefined();
    const sentToCustomers = emu
      .callRecords()
      .filter((c) => c.startSeq > seqBefore && c.ok && Number(c.params.chat_id) > 0 && ['copyMessage', 'copyMessages', 'sendMessage'].includes(c.method));
    expect(sentToCustomers).toEqual([]);
    expect(fromTeam(user.id)).toHaveLength(before);
    await handled(emu, Math.max(...updates), seqBefore);
  });
});
