import type { CallRecord, TgMessage } from '../src/sandbox/emulator';
import { TOPIC_ICON_STICKERS } from '../src/sandbox/emulator/methods/topics';
import { TestDesk, ackFor, chooseCategory, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Methods that post into the group (each counts against its 20 messages a minute). */
const POSTS = new Set(['sendMessage', 'copyMessage', 'copyMessages', 'createForumTopic', 'sendPhoto', 'sendMediaGroup']);

/**
 * What a ticket costs the support group: the card carries the customer's first message (one group
 * message for both), messages that piled up go in one copyMessages call, and tickets take turns.
 */
describe('group messages per ticket', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  const groupPosts = (threadId: number): CallRecord[] =>
    // In flight or answered OK (a copy is visible in the topic a moment before its call is answered).
    desk.emu.callRecords().filter((c) => c.ok !== false && POSTS.has(c.method) && Number(c.params.chat_id) === desk.emu.supportChatId && c.params.message_thread_id === threadId);
  const topicOf = (text: string) => desk.emu.waitFor(() => desk.emu.topics().find((t) => t.name.endsWith(` · ${text}`)), { what: `the topic of "${text}"` });
  const firstInTopic = (threadId: number): TgMessage | undefined => desk.emu.topicMessages(threadId).find((m) => m.from?.id === desk.emu.botUser.id);

  it('opens a text ticket with two group messages: the topic, and the card with the text after it, entities kept', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Ada', language_code: 'en' });
    await chooseCategory(emu, user);
    const text = '😀 Order 77 failed, see https://shop.example/77 please';
    const bold = { type: 'bold' as const, offset: 3, length: 8 };
    emu.userSendText(user.id, text, { entities: [bold, { type: 'url', offset: 24, length: 23 }] });
    const topic = await topicOf(text);
    const combined = await emu.waitFor(() => firstInTopic(topic.message_thread_id), { what: 'the card' });

    expect(combined.text).toMatch(/^🎫 Ticket #\d+\nCustomer: Ada/);
    expect(combined.text!.endsWith(`\n\n${text}`)).toBe(true);
    const at = (e: { offset: number; length: number }) => combined.text!.slice(e.offset, e.offset + e.length);
    expect((combined.entities ?? []).map((e) => [e.type, at(e)])).toEqual(
      expect.arrayContaining([
        ['bold', expect.stringMatching(/^🎫 Ticket #\d+$/)],
        ['bold', 'Order 77'],
        ['url', 'https://shop.example/77'],
      ]),
    );
    // Two group messages: createForumTopic (not in the thread), and this one.
    expect(groupPosts(topic.message_thread_id).map((c) => c.method)).toEqual(['sendMessage']);
    // The team sees it as the card and the customer's message (the view splits the one message in two).
    expect(topicMessages(emu, topic.message_thread_id).map((m) => m.text?.split('\n')[0])).toEqual([expect.stringMatching(/^🎫 Ticket #\d+$/), text]);

    // A reply to the combined message reaches the customer as a reply to their first message; an edit keeps the card.
    const agent = emu.createAgent({ first_name: 'Olga', admin: true });
    emu.agentSend(agent.id, { threadId: topic.message_thread_id, text: 'looking into it', reply_to_message_id: combined.message_id });
    const answer = await emu.waitFor(() => emu.chatMessages(user.id).find((m) => m.text === 'looking into it'), { what: 'the answer' });
    expect(answer.reply_to_message?.message_id).toBe(emu.chatMessages(user.id).find((m) => m.text === text)!.message_id);
    const first = emu.chatMessages(user.id).find((m) => m.text === text)!;
    emu.userEdit(user.id, first.message_id, { text: 'Order 78 failed' });
    const edited = await emu.waitFor(() => (firstInTopic(topic.message_thread_id)?.text?.endsWith('\n\nOrder 78 failed') ? firstInTopic(topic.message_thread_id) : undefined), {
      what: 'the edit in the card',
    });
    expect(edited.text).toMatch(/^🎫 Ticket #\d+\n/);
  });

  it('puts the card in front of a photo’s caption, caption entities kept', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Pia', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendPhoto(user.id, { caption: 'cracked screen', caption_entities: [{ type: 'italic', offset: 0, length: 7 }] });
    const topic = await topicOf('cracked screen');
    const combined = await emu.waitFor(() => firstInTopic(topic.message_thread_id), { what: 'the card' });
    expect(combined.photo).toBeDefined();
    expect(combined.caption).toMatch(/^🎫 Ticket #\d+\n[\s\S]*\n\ncracked screen$/);
    const italic = combined.caption_entities!.filter((e) => e.type === 'italic').at(-1)!;
    expect(combined.caption!.slice(italic.offset, italic.offset + italic.length)).toBe('cracked');
    expect(groupPosts(topic.message_thread_id).map((c) => c.method)).toEqual(['copyMessage']);
  });

  it('sends a text too long to share the card as the card and then the text', async () => {
    const { emu } = desk;
    const user = emu.createUser({ first_name: 'Len', language_code: 'en' });
    await chooseCategory(emu, user);
    const text = `long ${'word '.repeat(810)}end`;
    emu.userSendText(user.id, text);
    await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.includes(' · long word')), { what: 'the topic' });
    await emu.waitFor(() => emu.topicMessages(topic.message_thread_id).find((m) => m.text === text), { what: 'the copy' });
    const mine = emu.topicMessages(topic.message_thread_id).filter((m) => m.from?.id === emu.botUser.id);
    expect(mine[0].text).toMatch(/^🎫 Ticket #\d+\n[^\n]*\n[^\n]*\n[^\n]*$/);
    expect(mine[1].text).toBe(text);
  });

  it('copies messages that piled up while the topic was being made in one copyMessages call, in order', async () => {
    const { emu } = desk;
    emu.setFault('createForumTopic', { latencyMs: 1500 });
    try {
      const user = emu.createUser({ first_name: 'Bea', language_code: 'en' });
      await chooseCategory(emu, user);
      const texts = ['pile 1', 'pile 2', 'pile 3', 'pile 4', 'pile 5', 'pile 6'];
      for (const text of texts) emu.userSendText(user.id, text);
      const topic = await topicOf('pile 1');
      const copies = () =>
        topicMessages(emu, topic.message_thread_id)
          .filter((m) => m.from?.id === emu.botUser.id && /^pile /.test(m.text ?? ''))
          .map((m) => m.text);
      await emu.waitFor(() => (copies().length >= texts.length ? true : undefined), { what: 'all copies' });
      expect(copies()).toEqual(texts);
      // The first rode in the card; the other five went together.
      const batches = groupPosts(topic.message_thread_id).filter((c) => c.method === 'copyMessages');
      expect(batches.map((c) => (c.params.message_ids as number[]).length)).toEqual([5]);
    } finally {
      emu.clearFaults();
    }
  });
});

/** Telegram's limits enforced, at the group's real 20 messages a minute (a faster per-second pace keeps it short). */
describe('pacing against the enforced limits', () => {
  let desk: TestDesk;
  const limits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerSecond: 10, perGroupPerMinute: 20 };

  beforeAll(async () => {
    desk = await startDesk({
      env: {
        RATE_LIMIT_GLOBAL_PER_SECOND: String(limits.globalPerSecond),
        RATE_LIMIT_CHAT_PER_SECOND: String(limits.perChatPerSecond),
        RATE_LIMIT_CHAT_BURST: String(limits.perChatBurst),
        RATE_LIMIT_GROUP_PER_SECOND: String(limits.perGroupPerSecond),
        RATE_LIMIT_GROUP_PER_MINUTE: String(limits.perGroupPerMinute),
      },
    });
  });
  afterAll(() => desk?.close());

  it('sends what fits the group’s minute at once, the rest the moment the window frees, with no 429; a chatty ticket does not hold up a new one', async () => {
    const { emu } = desk;
    const customers = Array.from({ length: 12 }, (_, i) => emu.createUser({ first_name: `Pace${i}`, language_code: 'en' }));
    for (const user of customers) await chooseCategory(emu, user);
    const chatty = emu.createUser({ first_name: 'Chatty', language_code: 'en' });
    await chooseCategory(emu, chatty);
    emu.setLimits({ enforce: true, ...limits });
    const since = emu.seq();

    // A quiet desk: 10 tickets at once are 20 group messages, exactly one minute's budget.
    for (let i = 0; i < 10; i++) emu.userSendText(customers[i].id, `pace ${i}`);
    const complete = (i: number) => {
      const topic = emu.topics().find((t) => t.name.endsWith(` · pace ${i}`));
      return topic && topicMessages(emu, topic.message_thread_id).some((m) => m.text === `pace ${i}`);
    };
    await emu.waitFor(() => (Array.from({ length: 10 }, (_, i) => complete(i)).every(Boolean) ? true : undefined), { what: 'the first ten tickets' });

    // Then a customer with a long backlog, and two more new tickets: they wait for the window.
    emu.userSendText(chatty.id, 'chatty 0');
    for (let k = 1; k < 30; k++) emu.userSendText(chatty.id, `chatty ${k}`);
    emu.userSendText(customers[10].id, 'pace 10');
    emu.userSendText(customers[11].id, 'pace 11');
    await emu.waitFor(() => (complete(10) && complete(11) ? true : undefined), { what: 'the two late tickets', timeoutMs: 150_000 });
    // The chatty customer's intake may finish after the late tickets'; wait for the first copy of its backlog.
    const chattyTopic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · chatty 0')), { what: 'the chatty topic', timeoutMs: 120_000 });
    const chattyBatch = () => emu.callRecords().find((c) => c.ok && c.method.startsWith('copyMessage') && c.params.message_thread_id === chattyTopic.message_thread_id);
    await emu.waitFor(chattyBatch, { what: 'the first copy of the chatty backlog', timeoutMs: 120_000 });

    const posts = emu
      .callRecords()
      .filter((c) => c.startSeq > since && c.ok !== false && POSTS.has(c.method) && Number(c.params.chat_id) === emu.supportChatId)
      .sort((a, b) => a.startedAt - b.startedAt);
    const tooMany = emu.callRecords().filter((c) => c.startSeq > since && c.status === 429);
    expect(tooMany).toEqual([]);
    // Telegram's window on its own clock: no 60 s holds more than 20 group messages.
    const counted = posts.flatMap((c) => Array.from({ length: Array.isArray(c.params.message_ids) ? c.params.message_ids.length : 1 }, () => c.startedAt));
    for (const start of counted) expect(counted.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(20);
    // The first twenty went without waiting for the minute to pass; the twenty-first waited for the first to leave it.
    expect(counted[19] - counted[0]).toBeLessThan(30_000);
    expect(counted[20]).toBeGreaterThanOrEqual(posts[0].finishedAt! + 60_000);
    // Both late tickets were complete before the chatty customer's backlog of 29 copies went (turns in the group lane).
    const lastLate = Math.max(...[10, 11].map((i) => emu.callRecords().find((c) => c.ok !== false && typeof c.params.text === 'string' && c.params.text.endsWith(`\n\npace ${i}`))!.startedAt));
    expect(lastLate).toBeLessThan(chattyBatch()!.startedAt);
    process.stdout.write(
      `pacing: ${counted.length} group messages in ${posts.length} calls; the first 20 within ${counted[19] - counted[0]} ms; the 21st ${counted[20] - posts[0].finishedAt!} ms after the first was answered\n`,
    );
  }, 240_000);
});

/** The topic's icon tells who needs to act, and changes only when that changes. */
describe('topic status icons', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startDesk();
  });
  afterAll(() => desk?.close());

  it('opens with "waiting", turns "answered" after the answer, back to "waiting" once for a burst, "closed" with the close', async () => {
    const { emu } = desk;
    const iconOf = (emoji: string) => TOPIC_ICON_STICKERS.find((s) => s.emoji.replace(/\uFE0F/g, '') === emoji)!.custom_emoji_id;
    const user = emu.createUser({ first_name: 'Ivy', language_code: 'en' });
    const agent = emu.createAgent({ first_name: 'Olga', admin: true });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'icon please');
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · icon please')), { what: 'the topic' });
    const thread = topic.message_thread_id;
    const current = () => emu.topics().find((t) => t.message_thread_id === thread)!;
    const iconEdits = () => emu.callRecords('editForumTopic').filter((c) => c.ok !== false && c.params.message_thread_id === thread && c.params.icon_custom_emoji_id);
    expect(current().icon_custom_emoji_id).toBe(iconOf('❗'));
    await emu.waitFor(() => topicMessages(emu, thread).find((m) => m.text === 'icon please'), { what: 'the copy' });
    expect(iconEdits()).toHaveLength(0);

    emu.agentSend(agent.id, { threadId: thread, text: 'on it' });
    await emu.waitFor(() => (current().icon_custom_emoji_id === iconOf('💬') ? true : undefined), { what: 'the answered icon' });

    for (let i = 1; i <= 5; i++) emu.userSendText(user.id, `more ${i}`);
    await emu.waitFor(() => (topicMessages(emu, thread).filter((m) => /^more /.test(m.text ?? '')).length === 5 ? true : undefined), { what: 'the five copies' });
    await emu.waitFor(() => (current().icon_custom_emoji_id === iconOf('❗') ? true : undefined), { what: 'the waiting icon again' });

    emu.agentSend(agent.id, { threadId: thread, text: '/close' });
    await emu.waitFor(() => (current().closed && current().icon_custom_emoji_id === iconOf('✅') ? true : undefined), { what: 'the closed icon' });
    // Answered, waiting, closed (the last in the same call as the close's rename): three changes for seven events.
    expect(iconEdits().map((c) => c.params.icon_custom_emoji_id)).toEqual([iconOf('💬'), iconOf('❗'), iconOf('✅')]);
    expect(iconEdits()[2].params.name).toMatch(/^✅ /);
  });
});
