import { BotApiEmulator } from '../src/sandbox/emulator';
import type { TgMessage, TgUser } from '../src/sandbox/emulator';
import { TOPIC_ICON_STICKERS } from '../src/sandbox/emulator/methods/topics';
import { SlaService } from '../src/team/sla.service';
import { TestDesk, botMessages, chooseCategory, click, handled, sleep, startDesk, copyInTopic, openTicket as openTicketIn } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/** Team tools: who counts as an agent, ownership, the SLA reminder, ready answers, bans and limits. */
describe('team tools', () => {
  let desk: TestDesk;
  let admin: TgUser;
  let other: TgUser;
  let seq = 0;

  beforeAll(async () => {
    desk = await startDesk({ env: { MAX_TICKETS_PER_HOUR: '2', SLA_FIRST_RESPONSE: '30m' } });
    admin = desk.emu.createAgent({ first_name: 'Olga', admin: true });
    other = desk.emu.createAgent({ first_name: 'Pavel', admin: true });
  });
  afterAll(() => desk?.close());

  const openTicket = (language: 'en' | 'ru' = 'en', first = `question ${++seq}`) => openTicketIn(desk.emu, first, { name: `Customer${seq}`, language });
  const copyIn = (threadId: number, text: string) => copyInTopic(desk.emu, threadId, text);
  const botInTopic = (threadId: number, pattern: RegExp): TgMessage[] =>
    topicMessages(desk.emu, threadId).filter((m) => m.from?.id === desk.emu.botUser.id && pattern.test(m.text ?? ''));
  const card = (threadId: number) => topicMessages(desk.emu, threadId)[0];
  /** Waits until the bot has taken every queued update and handled the last one. */
  const settle = async () => {
    const last = desk.emu.pendingUpdates().at(-1)?.update_id;
    if (last !== undefined) await handled(desk.emu, last);
  };

  describe('who counts as an agent', () => {
    it("delivers an administrator's answer", async () => {
      const { user, threadId } = await openTicket();
      desk.emu.agentSend(admin.id, { threadId, text: 'An admin answers' });
      await desk.emu.waitFor(() => botMessages(desk.emu, user.id).find((m) => m.text === 'An admin answers'), { what: 'the answer' });
    });

    it("keeps a non-admin member's message in the group and notes it once per person", async () => {
      const { emu } = desk;
      const member = emu.createAgent({ first_name: 'Leaked', admin: false });
      const { user, threadId } = await openTicket();
      emu.agentSend(member.id, { threadId, text: 'I am not on the team' });
      await emu.waitFor(() => botInTopic(threadId, /Leaked, you are not on the support team/)[0], { what: 'the note' });
      emu.agentSend(member.id, { threadId, text: 'Still not on the team' });
      emu.agentSend(admin.id, { threadId, text: 'The team answers' });
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'The team answers'), { what: 'the admin answer' });
      expect(botMessages(emu, user.id).filter((m) => /not on the team/.test(m.text ?? ''))).toEqual([]);
      expect(botInTopic(threadId, /you are not on the support team/)).toHaveLength(1);
    });

    it('counts an agent promoted by a chat_member update', async () => {
      const { emu } = desk;
      const promoted = emu.createAgent({ first_name: 'Newcomer', admin: false });
      const { user, threadId } = await openTicket();
      emu.agentSend(promoted.id, { threadId, text: 'before promotion' });
      await emu.waitFor(() => botInTopic(threadId, /Newcomer, you are not on the support team/)[0], { what: 'the note' });
      emu.setAgentAdmin(promoted.id, true);
      emu.agentSend(promoted.id, { threadId, text: 'after promotion' });
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'after promotion'), { what: 'the answer after promotion' });
      expect(botMessages(emu, user.id).find((m) => m.text === 'before promotion')).toBeUndefined();
    });

    it("delivers an anonymous administrator's message signed with the team's name", async () => {
      const { emu } = desk;
      const { user, threadId } = await openTicket();
      emu.anonymousAdminSend({ threadId, text: 'Written on behalf of the group' });
      const answer = await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text?.startsWith('Written on behalf of the group')), { what: 'the anonymous answer' });
      expect(answer.text).toBe('Written on behalf of the group\n\n— Support team');
    });

    it('ignores a command addressed to another bot', async () => {
      const { emu } = desk;
      const { user, threadId, ticketId } = await openTicket();
      emu.agentSend(admin.id, { threadId, text: '/close@otherbot' });
      emu.agentSend(admin.id, { threadId, text: 'after the foreign command' });
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'after the foreign command'), { what: 'the next answer' });
      const [row] = await desk.sql<{ status: string }>('SELECT status FROM tickets WHERE id = $1', [ticketId]);
      expect(row.status).toBe('open');
      expect(botMessages(emu, user.id).filter((m) => /closed/.test(m.text ?? ''))).toEqual([]);
      expect(botMessages(emu, user.id).find((m) => m.text === '/close@otherbot')).toBeUndefined();
    });
  });

  describe('ownership', () => {
    it('/take shows the assignee on the card, keeping the customer message, and /release clears it; the topic confirms each', async () => {
      const { emu } = desk;
      const { threadId } = await openTicket('en', 'my card question');
      emu.agentSend(admin.id, { threadId, text: '/take' });
      await emu.waitFor(() => /\nAssignee: Olga$/.test(card(threadId).text ?? ''), { what: 'the assignee on the card' });
      await emu.waitFor(() => botInTopic(threadId, /^👤 Olga took this ticket\.$/)[0], { what: 'the confirmation of /take' });
      expect(copyIn(threadId, 'my card question')).toBeDefined();
      emu.agentSend(admin.id, { threadId, text: '/release' });
      await emu.waitFor(() => !/Assignee/.test(card(threadId).text ?? ''), { what: 'the assignee gone from the card' });
      await emu.waitFor(() => botInTopic(threadId, /^👤 Olga released this ticket\.$/)[0], { what: 'the confirmation of /release' });
      expect(copyIn(threadId, 'my card question')).toBeDefined();
    });

    it("/take from an anonymous administrator assigns nobody and says how to take the ticket", async () => {
      const { emu } = desk;
      const { threadId, ticketId } = await openTicket();
      emu.anonymousAdminSend({ threadId, text: '/take' });
      await emu.waitFor(() => botInTopic(threadId, /You are writing as the group \(anonymously\), so \/take cannot assign the ticket to you/)[0], { what: 'the hint' });
      emu.agentSend(admin.id, { threadId, text: '/release' });
      await emu.waitFor(() => botInTopic(threadId, /Nobody has taken this ticket/)[0], { what: 'the answer to /release' });
      const [row] = await desk.sql<{ assignee_id: string | null }>('SELECT assignee_id FROM tickets WHERE id = $1', [ticketId]);
      expect(row.assignee_id).toBeNull();
      expect(card(threadId).text).not.toMatch(/Assignee/);
      expect(botInTopic(threadId, /took this ticket/)).toEqual([]);
    });

    it("/take as a reply to another agent's message gives the ticket to that agent, who is mentioned when the customer writes", async () => {
      const { emu } = desk;
      const { user, threadId } = await openTicket();
      const answer = emu.agentSend(other.id, { threadId, text: 'Pavel answers first' });
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'Pavel answers first'), { what: 'the answer' });
      emu.agentSend(admin.id, { threadId, text: '/take', reply_to_message_id: answer.message_id });
      await emu.waitFor(() => /\nAssignee: Pavel$/.test(card(threadId).text ?? ''), { what: 'Pavel on the card' });
      const link = card(threadId).entities?.find((e) => e.type === 'text_link' && e.url === `tg://user?id=${other.id}`);
      expect(link).toBeDefined();
      emu.userSendText(user.id, 'one more thing');
      const mention = await emu.waitFor(() => botInTopic(threadId, /Pavel, the customer wrote again/)[0], { what: 'the mention' });
      // Telegram turns an HTML link to tg://user?id=N into a text_mention of that user.
      expect(mention.entities?.some((e) => e.type === 'text_mention' && (e as { user?: TgUser }).user?.id === other.id)).toBe(true);
      expect(botInTopic(threadId, /the customer wrote again/)).toHaveLength(1);
    });

    it('announces a ticket without a first answer once in General after SLA_FIRST_RESPONSE (injected clock)', async () => {
      const { emu } = desk;
      const { threadId, ticketId } = await openTicket();
      const sla = desk.app.get(SlaService);
      const general = () => emu.chatMessages(emu.supportChatId).filter((m) => !m.message_thread_id && m.from?.id === emu.botUser.id && m.text?.includes(`#${ticketId} `));
      expect(await sla.sweep(new Date(Date.now() + 29 * 60_000))).not.toContain(ticketId);
      const later = new Date(Date.now() + 31 * 60_000);
      const [first, second] = await Promise.all([sla.sweep(later), sla.sweep(later)]);
      expect([...first, ...second].filter((id) => id === ticketId)).toEqual([ticketId]);
      await emu.waitFor(() => general()[0], { what: 'the reminder in General' });
      expect(await sla.sweep(new Date(Date.now() + 60 * 60_000))).not.toContain(ticketId);
      await sleep(500);
      expect(general()).toHaveLength(1);
      const reminder = general()[0];
      // Waited until the sweep's clock, 31 minutes after the ticket opened (not until the job ran).
      expect(reminder.text).toMatch(/has waited 31 min for a first answer\. Assignee: nobody\./);
      expect(reminder.entities?.some((e) => e.type === 'text_link' && e.url?.endsWith(`/${threadId}`))).toBe(true);
    });

    it('sends no reminder for a ticket whose first answer was a ready answer, even once the customer writes again', async () => {
      const { emu } = desk;
      const { user, threadId, ticketId } = await openTicket();
      emu.agentSend(admin.id, { threadId, text: '/r hello' });
      await emu.waitFor(() => botInTopic(threadId, /Ready answer “hello” sent to the customer/)[0], { what: 'the marked copy' });
      // Waiting for the team again, yet its first answer was given.
      emu.userSendText(user.id, 'thanks, one more question');
      await emu.waitFor(() => copyIn(threadId, 'thanks, one more question'), { what: 'the copy' });
      const [row] = await desk.sql<{ last_speaker: string }>(`SELECT last_speaker FROM tickets WHERE id = $1`, [ticketId]);
      expect(row.last_speaker).toBe('customer');
      expect(await desk.app.get(SlaService).sweep(new Date(Date.now() + 31 * 60_000))).not.toContain(ticketId);
    });
  });

  describe('ready answers', () => {
    it("/r NAME sends the answer in the customer's language with placeholders filled, and marks a copy in the topic", async () => {
      const { emu } = desk;
      const { user, threadId, ticketId } = await openTicket('ru');
      emu.agentSend(admin.id, { threadId, text: '/r hello' });
      const sent = await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text?.startsWith('Здравствуйте')), { what: 'the ready answer' });
      expect(sent.text).toBe(`Здравствуйте, ${user.first_name}! Спасибо, что написали нам. Мы разбираемся с обращением #${ticketId} и скоро ответим.`);
      const mirror = await emu.waitFor(() => botInTopic(threadId, /Ready answer “hello” sent to the customer/)[0], { what: 'the marked copy' });
      expect(mirror.text).toContain(sent.text!);
      // The team answered: the ticket no longer waits for it, and its topic's icon says so.
      const [row] = await desk.sql<{ last_speaker: string }>(`SELECT last_speaker FROM tickets WHERE id = $1`, [ticketId]);
      expect(row.last_speaker).toBe('agent');
      const answered = TOPIC_ICON_STICKERS.find((s) => s.emoji.startsWith('💬'))!.custom_emoji_id;
      await emu.waitFor(() => (emu.topics().find((t) => t.message_thread_id === threadId)?.icon_custom_emoji_id === answered ? true : undefined), {
        what: 'the answered icon',
      });
      // In the ticket's record as the team's answer, by the agent, delivered (the delivery job never sends it).
      const recorded = await desk.sql(`SELECT via, chat_id, message_id, author_name, text, copied_at IS NOT NULL AS delivered FROM ticket_messages WHERE ticket_id = $1 AND direction = 'agent'`, [
        ticketId,
      ]);
      expect(recorded).toEqual([{ via: 'ready', chat_id: String(user.id), message_id: sent.message_id, author_name: 'Olga', text: sent.text, delivered: true }]);
    });

    it('sends a ready answer once when its copy in the topic fails for a while', async () => {
      const { emu } = desk;
      const { user, threadId } = await openTicket();
      // The group answers 502 to the next three posts: the gateway's own retries are spent and the copy's
      // job fails; the answer already reached the customer and must not go again with the copy's retry.
      emu.setFault('sendMessage', { failNext: { count: 3, code: 502, description: 'Bad Gateway', chatId: emu.supportChatId } });
      emu.agentSend(admin.id, { threadId, text: '/r hello' });
      await emu.waitFor(() => botInTopic(threadId, /Ready answer “hello” sent to the customer/)[0], { what: 'the marked copy, after its retry', timeoutMs: 30_000 });
      await settle();
      expect(botMessages(emu, user.id).filter((m) => m.text?.startsWith('Hello'))).toHaveLength(1);
      expect(botInTopic(threadId, /Ready answer “hello” sent to the customer/)).toHaveLength(1);
      emu.setFault('sendMessage', null);
    });

    it('/r alone lists the names; an unknown name answers with the closest and sends nothing', async () => {
      const { emu } = desk;
      const { user, threadId } = await openTicket();
      const before = botMessages(emu, user.id).length;
      emu.agentSend(admin.id, { threadId, text: '/r' });
      await emu.waitFor(() => botInTopic(threadId, /Ready answers: hello, refund, password, details, bye/)[0], { what: 'the list' });
      emu.agentSend(admin.id, { threadId, text: '/r refnd' });
      await emu.waitFor(() => botInTopic(threadId, /There is no ready answer “refnd”\. Closest: refund\. Nothing was sent\./)[0], { what: 'the closest names' });
      await sleep(300);
      expect(botMessages(emu, user.id)).toHaveLength(before);
    });
  });

  describe('moderation', () => {
    it('a banned customer gets one polite answer, then reaches nobody and opens nothing; the topic says who and until when', async () => {
      const { emu } = desk;
      const { user, threadId, ticketId } = await openTicket();
      emu.agentSend(admin.id, { threadId, text: '/ban 7d spam' });
      await emu.waitFor(() => botInTopic(threadId, /Olga banned the customer until .* UTC \(\d+ h\)\. Reason: spam/)[0], { what: 'the ban note' });
      const topicBefore = emu.topicMessages(threadId).length;
      const repliesBefore = botMessages(emu, user.id).length;
      emu.userSendText(user.id, 'spam 1');
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'Sorry, we can no longer accept messages from you here.'), { what: 'the polite answer' });
      emu.userSendText(user.id, 'spam 2');
      emu.userSendText(user.id, '/start');
      emu.userSendText(user.id, 'spam 3');
      await settle();
      await sleep(500);
      expect(botMessages(emu, user.id)).toHaveLength(repliesBefore + 1);
      expect(emu.topicMessages(threadId)).toHaveLength(topicBefore);
      const rows = await desk.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ticket_messages WHERE ticket_id = $1 AND text LIKE 'spam%'`, [ticketId]);
      expect(rows[0].n).toBe(0);
      const tickets = await desk.sql<{ n: number }>('SELECT count(*)::int AS n FROM tickets WHERE customer_id = $1', [user.id]);
      expect(tickets[0].n).toBe(1);
    });

    it("a banned customer's buttons and edits do nothing either: a draft written before the ban opens no ticket, and the group gets no message", async () => {
      const { emu } = desk;
      const { user, threadId, ticketId } = await openTicket('en', 'the question before the ban');
      const original = emu.chatMessages(user.id).find((m) => m.from?.id === user.id && m.text === 'the question before the ban')!;
      emu.userSendText(user.id, '/close');
      const rating = await emu.waitFor(() => botMessages(emu, user.id).find((m) => /How would you rate our help/.test(m.text ?? '')), { what: 'the rating question' });
      // Past the reopen window: the customer's next message is a draft for a new ticket.
      await desk.sql(`UPDATE tickets SET closed_at = now() - interval '2 days' WHERE id = $1`, [ticketId]);
      emu.userSendText(user.id, 'written before the ban');
      const menu = await emu.waitFor(() => botMessages(emu, user.id).findLast((m) => /please choose a topic first/.test(m.text ?? '')), { what: 'the topic prompt' });

      emu.agentSend(admin.id, { threadId, text: '/ban spam' });
      await emu.waitFor(() => botInTopic(threadId, /Olga banned the customer until further notice\. Reason: spam/)[0], { what: 'the ban note' });
      await settle();
      await sleep(300);
      // What reaches the group: the ticket's topic (messages, and edits of them), or a new topic.
      const inTopic = new Set(emu.topicMessages(threadId).map((m) => m.message_id));
      const topicEdits = () => emu.callRecords().filter((c) => c.method.startsWith('edit') && c.params.chat_id === emu.supportChatId && inTopic.has(c.params.message_id as number));
      const topicBefore = emu.topicMessages(threadId).length;
      const topicsBefore = emu.topics().length;
      const editsBefore = topicEdits().length;
      const repliesBefore = botMessages(emu, user.id).length;

      emu.userSendText(user.id, 'after the ban');
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'Sorry, we can no longer accept messages from you here.'), { what: 'the polite answer' });
      const pressed = [emu.userClick(user.id, menu.message_id, 'cat:other'), emu.userClick(user.id, rating.message_id, `rate:${ticketId}:5`)];
      emu.userEdit(user.id, original.message_id, { text: 'the question, edited after the ban' });
      // Blocking the bot is recorded, but not said in the topic.
      emu.userBlockBot(user.id);
      await settle();
      await sleep(500);

      // The buttons stop spinning, and that is all.
      for (const id of pressed) expect(emu.callbackAnswer(id)).toBeDefined();
      expect(await desk.sql('SELECT id FROM tickets WHERE customer_id = $1', [user.id])).toHaveLength(1);
      const [row] = await desk.sql<{ rating: number | null }>('SELECT rating FROM tickets WHERE id = $1', [ticketId]);
      expect(row.rating).toBeNull();
      const [customer] = await desk.sql<{ blocked_at: Date | null }>('SELECT blocked_at FROM customers WHERE id = $1', [user.id]);
      expect(customer.blocked_at).not.toBeNull();
      expect(emu.topicMessages(threadId)).toHaveLength(topicBefore);
      expect(emu.topics()).toHaveLength(topicsBefore);
      expect(topicEdits()).toHaveLength(editsBefore);
      expect(copyIn(threadId, 'the question before the ban')).toBeDefined();
      expect(botMessages(emu, user.id)).toHaveLength(repliesBefore + 1);
      expect(emu.getMessage(user.id, menu.message_id)?.text).toMatch(/please choose a topic first/);
    });

    it('a ban expires by itself, and /unban lifts one at once', async () => {
      const { emu } = desk;
      const { user, threadId } = await openTicket();
      emu.agentSend(admin.id, { threadId, text: '/ban 1h' });
      await emu.waitFor(() => botInTopic(threadId, /Olga banned the customer until/)[0], { what: 'the ban note' });
      // The hour has passed.
      await desk.sql(`UPDATE customer_bans SET until = now() - interval '1 second' WHERE customer_id = $1`, [user.id]);
      emu.userSendText(user.id, 'back after the ban');
      await emu.waitFor(() => copyIn(threadId, 'back after the ban'), { what: 'the message after expiry' });

      emu.agentSend(admin.id, { threadId, text: '/ban' });
      await emu.waitFor(() => botInTopic(threadId, /banned the customer until further notice/)[0], { what: 'the open-ended ban' });
      emu.agentSend(admin.id, { threadId, text: '/unban' });
      await emu.waitFor(() => botInTopic(threadId, /Olga lifted the ban/)[0], { what: 'the unban note' });
      emu.userSendText(user.id, 'after the unban');
      await emu.waitFor(() => copyIn(threadId, 'after the unban'), { what: 'the message after unban' });
    });

    /** A customer who opened (and closed) MAX_TICKETS_PER_HOUR tickets within the hour, closed long enough ago not to reopen. */
    async function busyCustomer(first_name: string) {
      const { emu } = desk;
      const user = emu.createUser({ first_name, language_code: 'en' });
      for (let i = 1; i <= 2; i++) {
        await chooseCategory(emu, user);
        emu.userSendText(user.id, `${first_name} ${i}`);
        await emu.waitFor(() => botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? '')).length === i, { what: `ticket ${i}` });
        emu.userSendText(user.id, '/close');
        await emu.waitFor(() => botMessages(emu, user.id).filter((m) => /is closed/.test(m.text ?? '')).length === i, { what: `close ${i}` });
      }
      await desk.sql(`UPDATE tickets SET closed_at = now() - interval '2 days' WHERE customer_id = $1`, [user.id]);
      return user;
    }
    const ticketCount = async (customerId: number) => (await desk.sql<{ n: number }>('SELECT count(*)::int AS n FROM tickets WHERE customer_id = $1', [customerId]))[0].n;
    const draftOf = async (customerId: number) =>
      (await desk.sql<{ draft: { text: string }[] }>('SELECT draft FROM customers WHERE id = $1', [customerId]))[0].draft.map((d) => d.text);

    it('MAX_TICKETS_PER_HOUR: a further ticket is refused clearly and the message is kept', async () => {
      const { emu } = desk;
      const user = await busyCustomer('Busy');
      await chooseCategory(emu, user);
      emu.userSendText(user.id, 'busy 3');
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => /You have opened 2 requests within an hour/.test(m.text ?? '')), { what: 'the limit answer' });
      expect(await ticketCount(user.id)).toBe(2);
      expect(await draftOf(user.id)).toEqual(['busy 3']);
    });

    it('MAX_TICKETS_PER_HOUR holds when the customer wrote first and picks the topic after: the draft waits, and opens the ticket once the hour has passed', async () => {
      const { emu } = desk;
      const user = await busyCustomer('Early');
      emu.userSendText(user.id, '/start');
      await click(emu, user, 'lang:en', /Choose a topic/);
      emu.userSendText(user.id, 'written before the topic');
      await emu.waitFor(() => botMessages(emu, user.id).find((m) => /please choose a topic first/.test(m.text ?? '')), { what: 'the topic prompt' });
      // The prompt's menu turns into the notice; the earlier menu, pressed again, does too.
      await click(emu, user, 'cat:other', /You have opened 2 requests within an hour/);
      await click(emu, user, 'cat:other', /You have opened 2 requests within an hour/);
      await settle();
      expect(await ticketCount(user.id)).toBe(2);
      expect(await draftOf(user.id)).toEqual(['written before the topic']);
      expect(botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(2);

      // The hour has passed: the next message opens the ticket, with the draft first.
      await desk.sql(`UPDATE tickets SET created_at = now() - interval '2 hours' WHERE customer_id = $1`, [user.id]);
      emu.userSendText(user.id, 'and now the rest');
      await emu.waitFor(() => botMessages(emu, user.id).filter((m) => /Thank you for your request/.test(m.text ?? '')).length === 3, { what: 'the third ticket' });
      const rows = await desk.sql<{ text: string }>(
        `SELECT m.text FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
          WHERE t.customer_id = $1 AND t.status = 'open' AND m.direction = 'customer' ORDER BY m.id`,
        [user.id],
      );
      expect(rows.map((r) => r.text)).toEqual(['written before the topic', 'and now the rest']);
      expect(await draftOf(user.id)).toEqual([]);
    });
  });
});

describe('team tools with AGENT_IDS', () => {
  let emu: BotApiEmulator;
  let desk: TestDesk;
  let listed: TgUser;
  let unlisted: TgUser;

  beforeAll(async () => {
    // The agents exist before the app starts, so that AGENT_IDS can name them.
    emu = new BotApiEmulator();
    await emu.start();
    listed = emu.createAgent({ first_name: 'Listed', admin: false });
    unlisted = emu.createAgent({ first_name: 'Unlisted', admin: true });
    desk = await startDesk({ emu, env: { AGENT_IDS: String(listed.id) } });
  });
  afterAll(async () => {
    await desk?.close();
    await emu?.stop();
  });

  it("delivers only the listed users' answers: an administrator not listed is kept in the group and told once, and their commands do nothing", async () => {
    const user = emu.createUser({ first_name: 'Asker', language_code: 'en' });
    await chooseCategory(emu, user);
    emu.userSendText(user.id, 'who answers me?');
    const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(' · who answers me?')), { what: 'the topic' });
    const threadId = topic.message_thread_id;
    const ticketId = Number(/^#(\d+)/.exec(topic.name)![1]);
    const fromBot = (pattern: RegExp) => topicMessages(emu, threadId).filter((m) => m.from?.id === emu.botUser.id && pattern.test(m.text ?? ''));

    emu.agentSend(unlisted.id, { threadId, text: 'from the unlisted administrator' });
    await emu.waitFor(() => fromBot(/Unlisted, you are not on the support team/)[0], { what: 'the note to the unlisted administrator' });
    emu.agentSend(unlisted.id, { threadId, text: '/close' });
    emu.agentSend(listed.id, { threadId, text: 'from the listed member' });
    await emu.waitFor(() => botMessages(emu, user.id).find((m) => m.text === 'from the listed member'), { what: "the listed member's answer" });

    expect(botMessages(emu, user.id).find((m) => m.text === 'from the unlisted administrator')).toBeUndefined();
    expect(fromBot(/you are not on the support team/)).toHaveLength(1);
    const [row] = await desk.sql<{ status: string }>('SELECT status FROM tickets WHERE id = $1', [ticketId]);
    expect(row.status).toBe('open');
    // AGENT_IDS is the whole list: the group's administrators are never fetched.
    expect(emu.callRecords('getChatAdministrators')).toEqual([]);
  });
});
