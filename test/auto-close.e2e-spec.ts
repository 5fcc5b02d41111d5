import { AutoCloseService } from '../src/auto-close/auto-close.service';
import { OPEN_PAGE_SIZE } from '../src/forum/desk-commands.service';
import type { TgUser } from '../src/sandbox/emulator';
import { TOPIC_ICON_STICKERS } from '../src/sandbox/emulator/methods/topics';
import { TestDesk, botMessages, buttons as buttonsOf, startDesk, copyInTopic, openTicket as openTicketIn } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/**
 * Answered tickets close themselves; waiting ones never do. A desk of its own: every sweep acts on the
 * whole table, so only this file's tickets take part.
 */
describe('auto-close', () => {
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
  const ticketRow = async (id: number) => (await desk.sql<{ status: string; last_speaker: string }>('SELECT * FROM tickets WHERE id = $1', [id]))[0];

  // AUTO_CLOSE_AFTER is 48h: warned at 36 h of silence, closed at 48 h, never sooner than 12 h after the
  // warning. The sweeps run on a clock moved forward from the ticket's last activity; the app's own
  // minute sweep runs on the real clock, so it cannot take these tickets. A sweep sees the tickets of
  // earlier tests too: results are checked for the test's own ticket.
  const HOUR = 3_600_000;
  const sweep = (now: Date) => desk.app.get(AutoCloseService).sweep(now);
  /** A clock `hours` after now (the ticket's last activity, once it is recorded). */
  const clockFrom = () => {
    const since = Date.now();
    return (hours: number) => new Date(since + hours * HOUR);
  };
  /** A ticket the team answered: the agent spoke last (its icon already says so). */
  const answeredTicket = async () => {
    const opened = await openTicket();
    desk.emu.agentSend(agent.id, { threadId: opened.threadId, text: `answer ${seq}` });
    await desk.emu.waitFor(() => fromTeam(opened.user.id).find((m) => m.text === `answer ${seq}`), { what: 'the answer' });
    await desk.emu.waitFor(() => (iconOf(opened.threadId) === icon('💬') ? true : undefined), { what: 'the answered icon' });
    return { ...opened, at: clockFrom() };
  };
  const warningsOf = (userId: number) => fromTeam(userId).filter((m) => /it will be closed in/.test(m.text ?? ''));
  const closeNoticeOf = (userId: number) => fromTeam(userId).find((m) => /closed because there was no activity/.test(m.text ?? ''));
  const keptNotes = (threadId: number) => topicMessages(desk.emu, threadId).filter((m) => /still needs help/.test(m.text ?? ''));
  const icon = (emoji: string) => TOPIC_ICON_STICKERS.find((s) => s.emoji.replace(/\uFE0F/g, '') === emoji)!.custom_emoji_id;
  const iconOf = (threadId: number) => desk.emu.topics().find((t) => t.message_thread_id === threadId)?.icon_custom_emoji_id;
  /** The lines of the last page of /open, asked in the General topic. */
  const lastPageOfOpen = async (): Promise<string[]> => {
    const { emu } = desk;
    const ask = async (text: string) => {
      const asked = emu.agentSend(agent.id, { text });
      return emu.waitFor(() => emu.chatMessages(emu.supportChatId).find((m) => m.from?.id === emu.botUser.id && m.reply_to_message?.message_id === asked.message_id), {
        what: `the answer to ${text}`,
      });
    };
    const first = await ask('/open');
    const pages = Math.ceil(Number(/: (\d+) /.exec(first.text!.split('\n')[0])![1]) / OPEN_PAGE_SIZE);
    return (pages > 1 ? await ask(`/open ${pages}`) : first).text!.split('\n');
  };
  /** Warns at 37 h and presses "I still need help"; resolves once the button is answered and the topic told. */
  const warnAndKeep = async (ticket: Awaited<ReturnType<typeof answeredTicket>>) => {
    const { emu } = desk;
    expect((await sweep(ticket.at(37))).warned).toContain(ticket.ticketId);
    const warning = await emu.waitFor(() => warningsOf(ticket.user.id)[0], { what: 'the warning' });
    const answer = emu.userClick(ticket.user.id, warning.message_id, `keep:${ticket.ticketId}`);
    await emu.waitFor(() => keptNotes(ticket.threadId)[0], { what: 'the note in the topic' });
    await emu.waitFor(() => (String(emu.callbackAnswer(answer)?.text ?? '').includes('stays open') ? true : undefined), { what: 'the button answered' });
  };

  it('warns the customer of an answered ticket silent for 36 h, then closes it 12 h after the warning', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId, at } = await answeredTicket();
    const early = await sweep(at(35));
    expect([...early.warned, ...early.closed]).not.toContain(ticketId);

    const first = await sweep(at(37));
    expect(first.warned).toContain(ticketId);
    expect(first.closed).not.toContain(ticketId);
    const warning = await emu.waitFor(() => warningsOf(user.id)[0], { what: 'the warning' });
    // Warned at 37 h, it closes at 49 h: the customer always has the quarter of AUTO_CLOSE_AFTER.
    expect(warning.text).toMatch(/it will be closed in 12 h/);
    expect(buttonsOf(warning)).toEqual([`keep:${ticketId}`]);
    const again = await sweep(at(48.5));
    expect([...again.warned, ...again.closed]).not.toContain(ticketId);

    expect((await sweep(at(49))).closed).toContain(ticketId);
    await emu.waitFor(() => closeNoticeOf(user.id), { what: 'the customer told' });
    await emu.waitFor(() => emu.topics().find((t) => t.message_thread_id === threadId && t.closed), { what: 'the closed topic' });
    expect(topicMessages(emu, threadId).some((m) => /Closed automatically/.test(m.text ?? ''))).toBe(true);
    expect((await ticketRow(ticketId)).status).toBe('closed');
    expect(warningsOf(user.id)).toHaveLength(1);
  });

  it('never warns or closes a ticket waiting for the team (the customer spoke last), however long it waits', async () => {
    const { user, ticketId } = await openTicket();
    const at = clockFrom();
    for (const hours of [37, 49, 500]) {
      const result = await sweep(at(hours));
      expect([...result.warned, ...result.closed]).not.toContain(ticketId);
    }
    expect(warningsOf(user.id)).toEqual([]);
    expect((await ticketRow(ticketId)).status).toBe('open');
  });

  it('does not count internal notes or bots’ messages in the topic as the team answering', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket();
    emu.agentSend(agent.id, { threadId, text: '// the customer is right, refund tomorrow' });
    emu.agentSend(agent.id, { threadId, text: '/note refund scheduled' });
    // What Telegram would not deliver (the bot's own message) and another bot's, in the topic.
    const chat = topicMessages(emu, threadId)[0].chat;
    const inTopic = (from: TgUser, text: string) =>
      emu.enqueueRawUpdate({ message: { message_id: 900_000 + ++seq, date: Math.floor(Date.now() / 1000), chat, from, message_thread_id: threadId, is_topic_message: true, text } });
    inTopic(emu.botUser, 'the bot itself');
    inTopic({ id: 777_000_001, is_bot: true, first_name: 'Shop', username: 'shop_bot' }, 'your order has shipped');
    // Updates of the group are handled in order: once /stats is answered, the notes before it were handled.
    const ask = emu.agentSend(agent.id, { threadId, text: '/stats' });
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => m.from?.id === emu.botUser.id && m.reply_to_message?.message_id === ask.message_id), {
      what: 'the /stats answer',
    });
    expect((await ticketRow(ticketId)).last_speaker).toBe('customer');
    const at = clockFrom();
    for (const hours of [37, 49, 61, 500]) {
      const result = await sweep(at(hours));
      expect([...result.warned, ...result.closed]).not.toContain(ticketId);
    }
    expect(warningsOf(user.id)).toEqual([]);
    expect(fromTeam(user.id).some((m) => /refund|shipped|the bot itself/.test(m.text ?? ''))).toBe(false);
    expect((await ticketRow(ticketId)).status).toBe('open');
  });

  it('after a downtime, warns first and closes no sooner than 12 h after the warning', async () => {
    const { emu } = desk;
    const { user, ticketId, at } = await answeredTicket();
    // The first sweep in 100 h: long past both the warning and the close.
    const late = await sweep(at(100));
    expect(late.warned).toContain(ticketId);
    expect(late.closed).not.toContain(ticketId);
    const warning = await emu.waitFor(() => warningsOf(user.id)[0], { what: 'the warning' });
    expect(warning.text).toMatch(/it will be closed in 12 h/);
    expect((await sweep(at(100.1))).closed).not.toContain(ticketId);
    expect((await sweep(at(111.9))).closed).not.toContain(ticketId);
    expect((await sweep(at(112.1))).closed).toContain(ticketId);
    expect(warningsOf(user.id)).toHaveLength(1);
  });

  it('does not close after a warning that failed to send, and warns again at the next sweep', async () => {
    const { emu } = desk;
    const { user, ticketId, at } = await answeredTicket();
    // Telegram fails the warning through all of the gateway's attempts.
    emu.setFault('sendMessage', { failNext: { count: 3, code: 502, description: 'Bad Gateway', chatId: user.id } });
    const failed = await sweep(at(37));
    expect(failed.warned).not.toContain(ticketId);
    expect(emu.callRecords('sendMessage').filter((c) => Number(c.params.chat_id) === user.id && c.ok === false)).toHaveLength(3);
    expect(warningsOf(user.id)).toEqual([]);
    emu.clearFaults();

    // Past the close of a warning at 37 h: nothing closes, the warning goes again, with its full notice.
    const next = await sweep(at(49.5));
    expect(next.closed).not.toContain(ticketId);
    expect(next.warned).toContain(ticketId);
    const warning = await emu.waitFor(() => warningsOf(user.id)[0], { what: 'the warning, sent again' });
    expect(warning.text).toMatch(/it will be closed in 12 h/);
    expect((await sweep(at(61))).closed).not.toContain(ticketId);
    expect((await sweep(at(61.6))).closed).toContain(ticketId);
    await emu.waitFor(() => closeNoticeOf(user.id), { what: 'the customer told' });
    expect(warningsOf(user.id)).toHaveLength(1);
  });

  it('calls the close off when the customer presses "I still need help", and says so in the topic once', async () => {
    const ticket = await answeredTicket();
    await warnAndKeep(ticket);
    // Past the closing time of that warning, and long after: it does not close, nor is it warned again.
    for (const hours of [49, 61, 200]) {
      const result = await sweep(ticket.at(hours));
      expect([...result.warned, ...result.closed]).not.toContain(ticket.ticketId);
    }
    expect((await ticketRow(ticket.ticketId)).status).toBe('open');
    expect(warningsOf(ticket.user.id)).toHaveLength(1);
    expect(keptNotes(ticket.threadId)).toHaveLength(1);
  });

  it('makes the ticket wait for the team again after "I still need help": listed by /open, its icon "waiting"', async () => {
    const { emu } = desk;
    const ticket = await answeredTicket();
    await warnAndKeep(ticket);
    await emu.waitFor(() => (iconOf(ticket.threadId) === icon('❗') ? true : undefined), { what: 'the waiting icon' });
    // Waiting since the press, the newest of the waiting tickets: on the last page of /open.
    const lines = await lastPageOfOpen();
    expect(lines.at(-1)).toMatch(new RegExp(`^\\d+\\. #${ticket.ticketId} · .* — \\d+ min$`));
    expect((await ticketRow(ticket.ticketId)).last_speaker).toBe('customer');
  });

  it('calls the close off when the customer writes after the warning, and says so in the topic', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId, at } = await answeredTicket();
    expect((await sweep(at(37))).warned).toContain(ticketId);
    await emu.waitFor(() => warningsOf(user.id)[0], { what: 'the warning' });
    emu.userSendText(user.id, 'not solved yet');
    await emu.waitFor(() => copyIn(threadId, 'not solved yet'), { what: 'the message in the topic' });
    await emu.waitFor(() => keptNotes(threadId)[0], { what: 'the note in the topic' });
    emu.userSendText(user.id, 'still there?');
    await emu.waitFor(() => copyIn(threadId, 'still there?'), { what: 'the second message in the topic' });
    // The customer spoke last: it waits for the team now, and does not close.
    for (const hours of [49, 200]) {
      const result = await sweep(at(hours));
      expect([...result.warned, ...result.closed]).not.toContain(ticketId);
    }
    expect((await ticketRow(ticketId)).status).toBe('open');
    expect(keptNotes(threadId)).toHaveLength(1);
  });

  it('warns once and closes once when two sweeps run at the same moment (two instances)', async () => {
    const { user, ticketId, at } = await answeredTicket();
    const warned = await Promise.all([sweep(at(37)), sweep(at(37))]);
    expect(warned.flatMap((r) => r.warned).filter((id) => id === ticketId)).toHaveLength(1);
    await desk.emu.waitFor(() => warningsOf(user.id)[0], { what: 'the warning' });
    const closed = await Promise.all([sweep(at(49)), sweep(at(49))]);
    expect(closed.flatMap((r) => r.closed).filter((id) => id === ticketId)).toHaveLength(1);
    await desk.emu.waitFor(() => closeNoticeOf(user.id), { what: 'the customer told' });
    expect(warningsOf(user.id)).toHaveLength(1);
    // Every other ticket those sweeps took was taken by one of them only.
    for (const r of [warned, closed]) {
      const ids = r.flatMap((x) => [...x.warned, ...x.closed]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});
