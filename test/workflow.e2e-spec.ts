import type { TgUser } from '../src/sandbox/emulator';
import { TestDesk, ackFor, botMessages, buttons, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** The workflow around the conversation: who waits for the team, and the customer's rating after a close. */
describe('workflow', () => {
  let desk: TestDesk;
  let agent: TgUser;

  beforeAll(async () => {
    desk = await startDesk();
    agent = desk.emu.createAgent({ first_name: 'Olga', admin: true });
  });
  afterAll(() => desk?.close());

  const fromBot = (chatId: number) => botMessages(desk.emu, chatId);
  /** Waits until no lifecycle job of the ticket (close, rating notes) is left to run. */
  async function lifecycleSettled(ticketId: number): Promise<void> {
    const left = async () =>
      (
        await desk.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'ticket.lifecycle' AND data->>'ticketId' = $1 AND state IN ('created', 'retry', 'active')`,
          [String(ticketId)],
        )
      )[0].n;
    const deadline = Date.now() + 10_000;
    while ((await left()) > 0) {
      if (Date.now() > deadline) throw new Error(`ticket #${ticketId}: lifecycle jobs still waiting`);
      await sleep(50);
    }
  }
  async function openTicket(name: string, text: string) {
    const { emu } = desk;
    const user = emu.createUser({ first_name: name, language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, text);
    await emu.waitFor(() => ackFor(emu, user.id), { what: `the acknowledgement of ${name}` });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(` · ${text}`)), { what: `the topic of ${name}` });
    await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === text), { what: `the copy of ${name}` });
    return { user, threadId: topic.message_thread_id, ticketId: Number(/^#(\d+)/.exec(topic.name)![1]) };
  }

  it('/open lists exactly the tickets waiting for the team, the longest-waiting first, each linked to its topic', async () => {
    const { emu } = desk;
    const first = await openTicket('Wait1', 'first waits');
    const answered = await openTicket('Done1', 'gets an answer');
    const second = await openTicket('Wait2', 'second waits');
    emu.agentSend(agent.id, { threadId: answered.threadId, text: 'here you are' });
    await emu.waitFor(() => fromBot(answered.user.id).find((m) => m.text === 'here you are'), { what: 'the answer' });

    // Asked in the General topic.
    const ask = emu.agentSend(agent.id, { text: '/open' });
    const list = await emu.waitFor(
      () => emu.chatMessages(emu.supportChatId).find((m) => m.from?.id === emu.botUser.id && m.reply_to_message?.message_id === ask.message_id),
      { what: 'the list' },
    );
    expect(list.message_thread_id).toBeUndefined();
    const lines = list.text!.split('\n');
    expect(lines[0]).toBe('⏳ Waiting for the team: 2 (oldest first)');
    expect(lines.slice(2)).toEqual([expect.stringMatching(new RegExp(`^1\\. #${first.ticketId} · .* — \\d+ min$`)), expect.stringMatching(new RegExp(`^2\\. #${second.ticketId} · `))]);
    const links = (list.entities ?? []).filter((e) => e.type === 'text_link').map((e) => e.url);
    const group = String(-emu.supportChatId).replace(/^100/, '');
    expect(links).toEqual([`https://t.me/c/${group}/${first.threadId}`, `https://t.me/c/${group}/${second.threadId}`]);
  });

  it('/stats answers in the topic it was asked in with the desk’s numbers; a wrong period gets the usage', async () => {
    const { emu } = desk;
    const { threadId } = await openTicket('Counted', 'count me in');
    const ask = emu.agentSend(agent.id, { threadId, text: '/stats 30d' });
    const reply = await emu.waitFor(
      () => emu.topicMessages(threadId).find((m) => m.from?.id === emu.botUser.id && m.reply_to_message?.message_id === ask.message_id),
      { what: 'the numbers' },
    );
    const [row] = await desk.sql<{ open: string; waiting: string }>(
      `SELECT count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'open' AND last_speaker IS DISTINCT FROM 'agent') AS waiting FROM tickets`,
    );
    expect(reply.text!.split('\n').slice(0, 2)).toEqual(['📊 The desk, last 30 days', `Open now: ${row.open} · waiting for the team: ${row.waiting}`]);
    const wrong = emu.agentSend(agent.id, { threadId, text: '/stats yesterday' });
    await emu.waitFor(() => emu.topicMessages(threadId).find((m) => m.reply_to_message?.message_id === wrong.message_id && /Use \/stats/.test(m.text ?? '')), {
      what: 'the usage',
    });
  });

  it('/transcript sends the whole conversation, both sides in order, ready answers too, media as placeholders, as a file in the topic', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket('Scribe', 'my parcel is late');
    emu.agentSend(agent.id, { threadId, text: 'which parcel?' });
    await emu.waitFor(() => fromBot(user.id).find((m) => m.text === 'which parcel?'), { what: 'the answer' });
    emu.agentSend(agent.id, { threadId, text: '/r hello' });
    const ready = await emu.waitFor(() => fromBot(user.id).find((m) => m.text?.startsWith('Hello, Scribe!')), { what: 'the ready answer' });
    emu.userSendPhoto(user.id, { caption: 'this label' });
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => m.caption === 'this label'), { what: 'the photo in the topic' });
    emu.agentSend(agent.id, { threadId, text: '/transcript' });
    const file = await emu.waitFor(
      () => emu.topicMessages(threadId).find((m) => m.from?.id === emu.botUser.id && m.document),
      { what: 'the transcript' },
    );
    expect(file.document!.file_name).toBe(`ticket-${ticketId}.txt`);
    expect(file.caption).toBe(`📄 The conversation of ticket #${ticketId}: 4 messages.`);
    const text = emu.fileContent(String(file.document!.file_id))!.bytes!.toString('utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^#${ticketId} · `));
    expect(lines[1]).toBe(`Scribe · id ${user.id} · English`);
    expect(lines[2]).toMatch(/^Opened \d{4}-\d\d-\d\d \d\d:\d\d UTC · open$/);
    expect(lines.slice(-4).map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'Scribe (Customer): my parcel is late',
      'Olga (Support): which parcel?',
      `Olga (Support, ready answer): ${ready.text}`,
      'Scribe (Customer): [photo] this label',
    ]);
  });

  it('after a low rating asks what went wrong, and posts the answer in the topic without reopening the ticket', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket('Unhappy', 'nothing works');
    emu.userSendText(user.id, '/close');
    const question = await emu.waitFor(() => fromBot(user.id).find((m) => /How would you rate our help/.test(m.text ?? '')), { what: 'the rating question' });
    emu.userClick(user.id, question.message_id, `rate:${ticketId}:1`);
    await emu.waitFor(() => fromBot(user.id).find((m) => m.message_id === question.message_id && /What could we have done better/.test(m.text ?? '')), {
      what: 'the invitation to comment',
    });
    emu.userSendText(user.id, 'you took three days to answer');
    await emu.waitFor(() => fromBot(user.id).find((m) => m.text === 'Thank you for telling us. Our team will read it.'), { what: 'the thanks' });
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => m.text === '💬 The customer’s comment on the rating: you took three days to answer'), {
      what: 'the comment in the topic',
    });
    const [row] = await desk.sql<{ status: string; rating: number; rating_comment: string }>(`SELECT status, rating, rating_comment FROM tickets WHERE id = $1`, [ticketId]);
    expect(row).toEqual({ status: 'closed', rating: 1, rating_comment: 'you took three days to answer' });
    // Only that one text was the comment: the next one reopens the ticket as usual (within the window).
    emu.userSendText(user.id, 'and one more thing');
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => m.text === 'and one more thing'), { what: 'the message in the reopened topic' });
    expect((await desk.sql<{ status: string }>(`SELECT status FROM tickets WHERE id = $1`, [ticketId]))[0].status).toBe('open');
  });

  it('asks a customer writing faster than a sane rate to slow down, once, and keeps every message', async () => {
    const { emu } = desk;
    const { user, threadId } = await openTicket('Rapid', 'rapid 0');
    for (let i = 1; i <= 40; i++) emu.userSendText(user.id, `rapid ${i}`);
    const copies = () => topicMessages(emu, threadId).filter((m) => /^rapid \d+$/.test(m.text ?? '')).map((m) => m.text);
    await emu.waitFor(() => (copies().length === 41 ? true : undefined), { what: 'all 41 messages in the topic', timeoutMs: 30_000 });
    expect(copies()).toEqual(Array.from({ length: 41 }, (_, i) => `rapid ${i}`));
    const told = () => fromBot(user.id).filter((m) => /You are writing very fast/.test(m.text ?? ''));
    await emu.waitFor(() => (told().length ? true : undefined), { what: 'the slow-down notice' });
    expect(told()).toHaveLength(1);
  });

  it('asks for a rating once after a close, stores it, posts it in the topic, and shows it on the next ticket’s card', async () => {
    const { emu } = desk;
    const { user, threadId, ticketId } = await openTicket('Rater', 'please rate me');
    emu.agentSend(agent.id, { threadId, text: '/close' });
    const question = await emu.waitFor(() => fromBot(user.id).find((m) => /How would you rate our help/.test(m.text ?? '')), { what: 'the rating question' });
    expect(buttons(question)).toEqual([1, 2, 3, 4, 5].map((n) => `rate:${ticketId}:${n}`));

    // Pressed twice before the buttons go (a double tap, or a change of mind): the first press counts.
    const answer = emu.userClick(user.id, question.message_id, `rate:${ticketId}:4`);
    const again = emu.userClick(user.id, question.message_id, `rate:${ticketId}:2`);
    await emu.waitFor(() => topicMessages(emu, threadId).find((m) => m.text === '⭐ The customer rated this ticket 4/5: ★★★★☆'), { what: 'the rating in the topic' });
    await emu.waitFor(() => (String(emu.callbackAnswer(answer)?.text ?? '') === 'Thank you for your rating!' ? true : undefined), { what: 'the button answered' });
    await emu.waitFor(() => (emu.callbackAnswer(again) ? true : undefined), { what: 'the second press answered' });
    expect(emu.callbackAnswer(again)?.text).toBe('This request has already been rated.');
    const edited = await emu.waitFor(() => fromBot(user.id).find((m) => m.message_id === question.message_id && /You rated/.test(m.text ?? '')), { what: 'the question edited' });
    expect(buttons(edited)).toEqual([]);
    expect(edited.text).toContain('★★★★☆');
    const [row] = await desk.sql<{ rating: number }>(`SELECT rating FROM tickets WHERE id = $1`, [ticketId]);
    expect(row.rating).toBe(4);
    // Once the ticket's lifecycle jobs are done, the topic holds the one rating note.
    await lifecycleSettled(ticketId);
    expect(topicMessages(emu, threadId).filter((m) => /^⭐ The customer rated this ticket/.test(m.text ?? '')).map((m) => m.text)).toEqual([
      '⭐ The customer rated this ticket 4/5: ★★★★☆',
    ]);
    // Asked once (that question, now edited), whatever else the close sent.
    expect(fromBot(user.id).filter((m) => /How would you rate our help|You rated our help/.test(m.text ?? ''))).toHaveLength(1);

    // Past the reopen window, the customer's next message starts a new ticket: its card knows the history.
    await desk.sql(`UPDATE tickets SET closed_at = now() - interval '3 days' WHERE id = $1`, [ticketId]);
    emu.userSendText(user.id, 'a brand new question');
    await emu.waitFor(() => fromBot(user.id).find((m) => /choose a topic first/.test(m.text ?? '')), { what: 'the category prompt' });
    // The message written before the choice opens the ticket as soon as the topic is chosen.
    const menu = fromBot(user.id).findLast((m) => buttons(m).includes('cat:other'))!;
    emu.userClick(user.id, menu.message_id, 'cat:other');
    const next = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · a brand new question')), { what: 'the new topic' });
    const card = await emu.waitFor(() => topicMessages(emu, next.message_thread_id).find((m) => /^🎫 Ticket #/.test(m.text ?? '')), { what: 'the new card' });
    expect(card.text).toContain('Earlier tickets: 1 · last rating: ★★★★☆');
  });
});
