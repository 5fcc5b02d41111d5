import type { TgMessage } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, buttons, chooseCategory, click, handled, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

describe('ticket intake (real app, real PostgreSQL, Bot API emulator over HTTP)', () => {
  let desk: TestDesk;
  const updates: { update_id: number; message?: TgMessage }[] = [];

  beforeAll(async () => {
    desk = await startDesk();
    desk.emu.on('update', (update) => updates.push(update));
  });
  afterAll(() => desk?.close());
  afterEach(() => desk.emu.clearFaults());

  const topicCopies = (threadId: number) =>
    topicMessages(desk.emu, threadId).filter((m) => m.from?.id === desk.emu.botUser.id && !/Ticket #/.test(m.text ?? ''));

  it('greets in the language of the Telegram client and offers both languages', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Anna', language_code: 'en-GB' });
    emu.userSendText(user.id, '/start');
    const greeting = await emu.waitFor(() => botMessages(emu, user.id)[0], { what: 'the greeting' });
    expect(greeting.text).toMatch(/^Hello, Anna!/);
    expect(buttons(greeting)).toEqual(['lang:ru', 'lang:en']);
    const labels = (greeting.reply_markup as { inline_keyboard: { text: string }[][] }).inline_keyboard.flat().map((b) => b.text);
    expect(labels).toEqual(['Русский', '✓ English']);
  });

  it('acknowledges before the topic exists (createForumTopic held 2 s)', async () => {
    const { emu } = desk;
    emu.setFault('createForumTopic', { latencyMs: 2000 });
    const user = emu.createUser({ first_name: 'Boris', language_code: 'ru' });
    await chooseCategory(emu, user, { language: 'ru' });
    const sent = emu.userSendText(user.id, 'Мне дважды списали деньги');

    const ack = await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics()[0] && topicCopies(emu.topics()[0].message_thread_id)[0], {
      what: 'the copy in the topic',
      timeoutMs: 15000,
    });

    const ackCall = emu.callRecords('sendMessage').find((c) => (c.result as TgMessage | undefined)?.message_id === ack.message_id && c.params.chat_id === user.id)!;
    const topicCall = emu.callRecords('createForumTopic')[0];
    expect(ackCall.endSeq!).toBeLessThan(topicCall.endSeq!);
    expect(ack.text).toBe(
      'Спасибо за ваше обращение, наша команда поддержки рассмотрит его в порядке очереди.\nНомер обращения: #' + String(ackNumber(ack)),
    );
    expect(ack.reply_to_message?.message_id).toBe(sent.message_id);
    expect(topic.text).toBe('Мне дважды списали деньги');
  });

  it('opens one ticket and one topic for two messages sent 5 ms apart, in order', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Carla', language_code: 'en' });
    await chooseCategory(emu, user, { category: 'payments', subcategory: 'double' });
    const topicsBefore = emu.topics().length;
    emu.userSendText(user.id, 'first: I was charged twice');
    await sleep(5);
    emu.userSendText(user.id, 'second: order 1234');

    const thread = await emu.waitFor(() => emu.topics().slice(topicsBefore).find((t) => /Charged twice/.test(t.name)), { what: 'the topic' });
    const copies = await emu.waitFor(() => (topicCopies(thread.message_thread_id).length >= 2 ? topicCopies(thread.message_thread_id) : undefined), {
      what: 'both copies',
    });
    expect(copies.map((m) => m.text)).toEqual(['first: I was charged twice', 'second: order 1234']);
    expect(emu.topics().length).toBe(topicsBefore + 1);
    const tickets = await desk.sql<{ id: string; category: string; subcategory: string }>('SELECT * FROM tickets WHERE customer_id = $1', [user.id]);
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ category: 'payments', subcategory: 'double' });
    const messages = await desk.sql('SELECT * FROM ticket_messages WHERE ticket_id = $1', [tickets[0].id]);
    expect(messages).toHaveLength(2);
    expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
  });

  it('handles an update delivered twice only once', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Dmitry', language_code: 'en' });
    await chooseCategory(emu, user);
    const first = emu.userSendText(user.id, 'my app crashes on start');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const thread = await emu.waitFor(() => emu.topics().find((t) => /my app crashes/.test(t.name)), { what: 'the topic' });
    await emu.waitFor(() => topicCopies(thread.message_thread_id)[0], { what: 'the first copy' });

    const update = updates.find((u) => u.message?.chat.id === user.id && u.message.message_id === first.message_id)!;
    const seq = emu.seq();
    emu.redeliver(update.update_id);
    await handled(emu, update.update_id, seq);
    // Delivered again (at least once more: the poller also sees it again while it is being handled).
    expect(emu.updatesDelivered().filter((id) => id === update.update_id).length).toBeGreaterThanOrEqual(2);

    // A later message proves the pipeline moved on; the duplicate left no trace.
    emu.userSendText(user.id, 'it happens since the update');
    await emu.waitFor(() => (topicCopies(thread.message_thread_id).length >= 2 ? true : undefined), { what: 'the second copy' });
    await sleep(300);
    expect(topicCopies(thread.message_thread_id).map((m) => m.text)).toEqual(['my app crashes on start', 'it happens since the update']);
    expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
    const rows = await desk.sql('SELECT m.* FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.customer_id = $1', [user.id]);
    expect(rows).toHaveLength(2);
  });

  it('copies a photo with its caption and a document into the topic', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Eva', language_code: 'en' });
    await chooseCategory(emu, user, { category: 'technical', subcategory: 'app' });
    emu.userSendPhoto(user.id, { caption: 'the error screen' });
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    emu.userSendDocument(user.id, { file_name: 'log.txt', mime_type: 'text/plain' });
    const thread = await emu.waitFor(() => emu.topics().find((t) => /the error screen/.test(t.name)), { what: 'the topic' });
    const copies = await emu.waitFor(() => (topicCopies(thread.message_thread_id).length >= 2 ? topicCopies(thread.message_thread_id) : undefined), {
      what: 'both copies',
    });
    expect(copies[0].photo?.length).toBeGreaterThan(0);
    expect(copies[0].caption).toBe('the error screen');
    expect(copies[1].document?.file_name).toBe('log.txt');
  });

  it('shows a name and a text with HTML special characters literally, with no API error', async () => {
    const { emu } = desk;
    const name = '<b>x</b> & <i>';
    const text = '<script>alert(1)</script> & 2 < 3 > 1';
    const user = emu.createUser({ first_name: name, language_code: 'en' });
    await chooseCategory(emu, user);
    const greeting = emu.callRecords('sendMessage').find((c) => c.params.chat_id === user.id)!.result as TgMessage;
    expect(greeting.text).toBe(`Hello, ${name}! This is the support service.\nPlease choose your language:`);
    emu.userSendText(user.id, text);
    const thread = await emu.waitFor(() => emu.topics().find((t) => t.name.includes('<script>')), { what: 'the topic' });
    const card = await emu.waitFor(() => topicMessages(emu, thread.message_thread_id).find((m) => /Ticket #/.test(m.text ?? '')), { what: 'the card' });
    expect(card.text).toContain(`Customer: ${name} · no username · id ${user.id}`);
    const copy = await emu.waitFor(() => topicCopies(thread.message_thread_id)[0], { what: 'the copy' });
    expect(copy.text).toBe(text);
    expect(emu.callRecords().filter((c) => c.ok === false && c.method !== 'getUpdates')).toEqual([]);
  });

  it('creates nothing on /start or clicks, keeps a message written before the category, and opens the ticket with it', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Fedor', language_code: 'ru' });
    emu.userSendText(user.id, '/start');
    await emu.waitFor(() => botMessages(emu, user.id)[0], { what: 'the greeting' });
    await click(emu, user, 'lang:en', /Choose a topic/);
    await click(emu, user, 'cat:payments', /Please specify/);
    await click(emu, user, 'back:cat', /Choose a topic/);
    expect(await desk.sql('SELECT * FROM tickets WHERE customer_id = $1', [user.id])).toHaveLength(0);

    const early = emu.userSendText(user.id, 'where is my refund?');
    const prompt = await emu.waitFor(() => botMessages(emu, user.id).find((m) => /choose a topic first/.test(m.text ?? '')), { what: 'the prompt' });
    expect(await desk.sql('SELECT * FROM tickets WHERE customer_id = $1', [user.id])).toHaveLength(0);

    emu.userClick(user.id, prompt.message_id, 'cat:payments');
    await emu.waitFor(() => /Please specify/.test(emu.getMessage(user.id, prompt.message_id)?.text ?? ''), { what: 'subcategories' });
    emu.userClick(user.id, prompt.message_id, 'sub:payments:refund');
    const ack = await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    expect(ack.reply_to_message?.message_id).toBe(early.message_id);
    const thread = await emu.waitFor(() => emu.topics().find((t) => /Refund · where is my refund/.test(t.name)), { what: 'the topic' });
    await emu.waitFor(() => topicCopies(thread.message_thread_id)[0]?.text === 'where is my refund?' || undefined, { what: 'the copy' });
  });

  it('sends every further message of the open ticket to the same topic', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Gleb', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'one');
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const thread = await emu.waitFor(() => emu.topics().find((t) => / · one$/.test(t.name)), { what: 'the topic' });
    await emu.waitFor(() => topicCopies(thread.message_thread_id).length === 1 || undefined, { what: 'the first copy' });
    emu.userSendText(user.id, 'two');
    emu.userSend(user.id, { voice: { file_id: 'voice-1', file_unique_id: 'v1', duration: 3 } } as never);
    emu.userSendText(user.id, '/start');
    const copies = await emu.waitFor(() => (topicCopies(thread.message_thread_id).length >= 3 ? topicCopies(thread.message_thread_id) : undefined), {
      what: 'three copies',
    });
    expect(copies.map((m) => m.text ?? (m.voice ? 'voice' : '?'))).toEqual(['one', 'two', 'voice']);
    const reminder = await emu.waitFor(() => botMessages(emu, user.id).find((m) => /already have an open request/.test(m.text ?? '')), {
      what: 'the /start reminder',
    });
    expect(reminder.text).toMatch(/#\d+/);
  });
});

function ackNumber(ack: TgMessage): number {
  return Number(/#(\d+)/.exec(ack.text ?? '')?.[1]);
}
