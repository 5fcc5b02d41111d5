import type { IncomingMessage } from '../../src/tickets/incoming-message';
import type { Customer } from '../../src/tickets/customer.entity';
import { MediumContext, newMediumContext, SUPPORT_CHAT_ID } from './medium-context';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ago = (ms: number) => new Date(Date.now() - ms);

/** Resolves for everyone once `parties` callers arrived: both transactions start their INSERT together. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++arrived === parties) release();
    return all;
  };
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The backend is waiting for a lock (here: on the other transaction's uncommitted ticket row). */
async function isBlockedOnLock(ctx: MediumContext, pid: number | undefined): Promise<boolean> {
  if (!pid) return false;
  const [row] = await ctx.sql<{ wait_event_type: string | null }>(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
  return row?.wait_event_type === 'Lock';
}

async function backendPid(db: { query(text: string): Promise<{ pid: number }[]> }): Promise<number> {
  const [{ pid }] = await db.query('SELECT pg_backend_pid() AS pid');
  return pid;
}

function message(ctx: MediumContext, customer: Customer, text: string): IncomingMessage {
  const id = ctx.messageId();
  return {
    updateId: ctx.updateId(),
    from: { id: customer.id, first_name: customer.firstName, language_code: 'en' },
    messageId: id,
    kind: 'text',
    text,
    mediaGroupId: null,
    replyToMessageId: null,
    entities: null,
  };
}

describe('tickets against PostgreSQL', () => {
  let ctx: MediumContext;

  beforeAll(async () => {
    ctx = await newMediumContext();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const openTicketsOf = async (customerId: number) =>
    ctx.sql<{ id: string }>(`SELECT id FROM tickets WHERE customer_id = $1 AND status = 'open'`, [customerId]);

  describe('TicketRepository.open', () => {
    it('lets one of two concurrent transactions create the ticket; the other, blocked in its INSERT until that COMMIT, gets the same ticket', async () => {
      const customer = await ctx.newCustomer({ step: 'describe', category: 'payments' });
      const atInsert = barrier(2);
      const pids: number[] = [];
      const finished = [false, false];
      let sawOtherBlocked = false;

      const attempt = (me: 0 | 1) =>
        ctx.dataSource
          .transaction(async (db) => {
            pids[me] = await backendPid(db);
            await atInsert();
            const result = await ctx.tickets.open(customer, SUPPORT_CHAT_ID, db);
            const other = 1 - me;
            // Hold the COMMIT until the other transaction is inside its INSERT, waiting on our row (we won),
            // or has finished (we lost: our INSERT only returned once it had committed).
            await waitUntil(async () => {
              if (finished[other]) return true;
              if (await isBlockedOnLock(ctx, pids[other])) return (sawOtherBlocked = true);
              return false;
            }, 'the other transaction to reach its INSERT');
            return result;
          })
          .finally(() => (finished[me] = true));

      const results = await Promise.all([attempt(0), attempt(1)]);

      expect(sawOtherBlocked).toBe(true);
      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
      expect(results[0].ticket.id).toBe(results[1].ticket.id);
      expect(results[0].ticket).toMatchObject({ customerId: customer.id, status: 'open', category: 'payments' });
      expect(await openTicketsOf(customer.id)).toEqual([{ id: String(results[0].ticket.id) }]);
    });

    it('lets the waiting transaction create the ticket when the first one rolls back', async () => {
      const customer = await ctx.newCustomer({ step: 'describe', category: 'account' });
      let secondPid: number | undefined;
      let firstInserted!: () => void;
      const inserted = new Promise<void>((resolve) => (firstInserted = resolve));

      const first = ctx.dataSource.transaction(async (db) => {
        await ctx.tickets.open(customer, SUPPORT_CHAT_ID, db);
        firstInserted();
        await waitUntil(() => isBlockedOnLock(ctx, secondPid), 'the second INSERT to wait on the first');
        throw new Error('rolled back on purpose');
      });
      const second = ctx.dataSource.transaction(async (db) => {
        secondPid = await backendPid(db);
        await inserted;
        return ctx.tickets.open(customer, SUPPORT_CHAT_ID, db);
      });

      await expect(first).rejects.toThrow('rolled back on purpose');
      const won = await second;
      expect(won.created).toBe(true);
      expect(await openTicketsOf(customer.id)).toEqual([{ id: String(won.ticket.id) }]);
    });
  });

  describe('TicketsService.receive', () => {
    it('makes one ticket with both messages from two concurrent messages of a customer who chose a category', async () => {
      const customer = await ctx.newCustomer({ step: 'describe', category: 'payments', subcategory: 'refund' });
      const { sut, queue, ack } = ctx.ticketsService();
      const first = message(ctx, customer, 'I was charged twice');
      const second = message(ctx, customer, 'order 1234');

      const results = await Promise.all([sut.receive(first), sut.receive(second)]);

      expect(results.map((r) => r.outcome).sort()).toEqual(['appended', 'opened']);
      const open = await openTicketsOf(customer.id);
      expect(open).toHaveLength(1);
      const ticketId = Number(open[0].id);
      const rows = await ctx.sql<{ message_id: number; direction: string }>(
        `SELECT message_id, direction FROM ticket_messages WHERE ticket_id = $1 ORDER BY message_id`,
        [ticketId],
      );
      expect(rows).toEqual([
        { message_id: first.messageId, direction: 'customer' },
        { message_id: second.messageId, direction: 'customer' },
      ]);
      expect(await ctx.tickets.find(ticketId)).toMatchObject({ category: 'payments', subcategory: 'refund' });
      expect(await ctx.customers.find(customer.id)).toMatchObject({ step: 'idle', draft: [] });
      // One sync from the ticket's creation, one from the appended message; no AI without a key.
      expect(queue.sentTo('ticket.sync')).toEqual([{ ticketId }, { ticketId }]);
      expect(queue.sent).toHaveLength(2);
      expect(ack.sendInline).toHaveBeenCalledTimes(1);
      expect(ack.sendInline).toHaveBeenCalledWith(expect.objectContaining({ id: ticketId }), expect.any(Number));
    });

    it('reopens the ticket the customer closed 10 minutes ago when they write again', async () => {
      const customer = await ctx.newCustomer({ step: 'idle', category: 'payments' });
      const closed = await ctx.newTicket({ customer, status: 'closed', closedAt: ago(10 * MINUTE) });
      const { sut, queue } = ctx.ticketsService({ env: { REOPEN_WINDOW: '1h' } });

      const result = await sut.receive(message(ctx, customer, 'it happened again'));

      expect(result).toMatchObject({ outcome: 'reopened', ticket: { id: closed.id } });
      expect(await ctx.tickets.find(closed.id)).toMatchObject({ status: 'open', closedAt: null, closedBy: null, reopenedAt: expect.any(Date) });
      expect(queue.sentTo('ticket.lifecycle')).toEqual([{ ticketId: closed.id, event: 'reopened', by: 'customer', agentName: undefined }]);
      expect(queue.sentTo('ticket.sync')).toEqual([{ ticketId: closed.id }]);
    });
  });

  describe('ConversationService.reopenByAgent', () => {
    it('reopens once when two agents reopen the same topic at the same moment', async () => {
      const ticket = await ctx.newTicket({ status: 'closed', threadId: 9101 });
      const { sut, queue } = ctx.conversationService();

      const results = await Promise.all([sut.reopenByAgent(ctx.updateId(), SUPPORT_CHAT_ID, 9101, 'Ann'), sut.reopenByAgent(ctx.updateId(), SUPPORT_CHAT_ID, 9101, 'Bob')]);

      expect(results.map((r) => r.outcome).sort()).toEqual(['already', 'reopened']);
      expect(queue.sentTo('ticket.lifecycle')).toHaveLength(1);
      expect(await ctx.tickets.find(ticket.id)).toMatchObject({ status: 'open' });
    });

    it('answers newer-open instead of failing when the customer opens a new ticket while an agent reopens the old one', async () => {
      const customer = await ctx.newCustomer({ step: 'describe', category: 'payments' });
      const old = await ctx.newTicket({ customer, status: 'closed', threadId: 9102 });
      const intake = ctx.ticketsService();
      const { sut } = ctx.conversationService();

      const [reopen, opened] = await Promise.all([
        sut.reopenByAgent(ctx.updateId(), SUPPORT_CHAT_ID, 9102, 'Ann'),
        intake.sut.receive({
          updateId: ctx.updateId(),
          from: { id: customer.id, first_name: customer.firstName },
          messageId: ctx.messageId(),
          kind: 'text',
          text: 'a new problem',
          mediaGroupId: null,
          replyToMessageId: null,
          entities: null,
        }),
      ]);

      const open = await openTicketsOf(customer.id);
      expect(open).toHaveLength(1);
      if (reopen.outcome === 'reopened') expect(opened).toMatchObject({ outcome: 'appended', ticket: { id: old.id } });
      else expect(reopen.outcome).toBe('newer-open');
    });
  });

  describe('TicketRepository.close', () => {
    it('closes an open ticket once: the second close reports false and keeps who closed it', async () => {
      const ticket = await ctx.newTicket();

      await expect(ctx.tickets.close(ticket.id, 'agent')).resolves.toBe(true);
      await expect(ctx.tickets.close(ticket.id, 'customer')).resolves.toBe(false);

      expect(await ctx.tickets.find(ticket.id)).toMatchObject({ status: 'closed', closedBy: 'agent', closedAt: expect.any(Date) });
    });
  });

  describe('TicketRepository.recentlyClosed', () => {
    it('does not find a ticket closed 2 h ago with a 1 h window, but does with a 3 h one', async () => {
      const customer = await ctx.newCustomer();
      const closed = await ctx.newTicket({ customer, status: 'closed', closedAt: ago(2 * HOUR) });

      await expect(ctx.tickets.recentlyClosed(customer.id, HOUR)).resolves.toBeNull();
      await expect(ctx.tickets.recentlyClosed(customer.id, 3 * HOUR)).resolves.toMatchObject({ id: closed.id });
    });

    it('finds the newest ticket closed within the window, and never an open one', async () => {
      const customer = await ctx.newCustomer();
      await ctx.newTicket({ customer, status: 'closed', closedAt: ago(30 * MINUTE) });
      const newest = await ctx.newTicket({ customer, status: 'closed', closedAt: ago(10 * MINUTE) });
      await ctx.newTicket({ customer, status: 'open' });

      await expect(ctx.tickets.recentlyClosed(customer.id, HOUR)).resolves.toMatchObject({ id: newest.id, status: 'closed' });
      const other = await ctx.newCustomer();
      await ctx.newTicket({ customer: other, status: 'open' });
      await expect(ctx.tickets.recentlyClosed(other.id, HOUR)).resolves.toBeNull();
    });
  });

  describe('TicketRepository.closeIdle', () => {
    // closeIdle acts on the whole table: its own database, so tickets of other tests cannot take part.
    let own: MediumContext;

    beforeAll(async () => {
      own = await newMediumContext();
    });

    afterAll(async () => {
      await own?.close();
    });

    it('closes only open tickets the team answered, warned long enough ago and idle past the limit, each only once', async () => {
      const notice = HOUR / 4 / 1000;
      const idle = await own.newTicket({ createdAt: ago(3 * HOUR) });
      await own.newMessage(idle, { createdAt: ago(2 * HOUR) });
      await own.newMessage(idle, { direction: 'agent', createdAt: ago(2 * HOUR - MINUTE) });
      await own.sql(`UPDATE tickets SET auto_close_warned_at = now() - interval '30 minutes' WHERE id = $1`, [idle.id]);
      // Waiting for the team (the customer spoke last) or never warned: left open, however long idle.
      const waiting = await own.newTicket({ createdAt: ago(3 * HOUR) });
      await own.newMessage(waiting, { createdAt: ago(2 * HOUR) });
      await own.sql(`UPDATE tickets SET auto_close_warned_at = now() - interval '30 minutes' WHERE id = $1`, [waiting.id]);
      const unwarned = await own.newTicket({ createdAt: ago(3 * HOUR) });
      await own.newMessage(unwarned, { direction: 'agent', createdAt: ago(2 * HOUR) });
      const recentMessage = await own.newTicket({ createdAt: ago(3 * HOUR) });
      await own.newMessage(recentMessage, { createdAt: ago(2 * HOUR) });
      await own.newMessage(recentMessage, { direction: 'agent', createdAt: ago(10 * MINUTE) });
      const reopened = await own.newTicket({ createdAt: ago(3 * HOUR), reopenedAt: ago(5 * MINUTE) });
      const fresh = await own.newTicket();
      const alreadyClosed = await own.newTicket({ status: 'closed', createdAt: ago(3 * HOUR), closedAt: ago(3 * HOUR) });
      // Warned only 5 minutes ago (a sweep after a downtime): it closes once the notice has run, not at once.
      const warnedLate = await own.newTicket({ createdAt: ago(3 * HOUR) });
      await own.newMessage(warnedLate, { direction: 'agent', createdAt: ago(2 * HOUR) });
      await own.sql(`UPDATE tickets SET auto_close_warned_at = now() - interval '5 minutes' WHERE id = $1`, [warnedLate.id]);

      const now = new Date();
      await expect(own.tickets.closeIdle(HOUR / 1000, notice, now)).resolves.toEqual([idle.id]);
      await expect(own.tickets.closeIdle(HOUR / 1000, notice, now)).resolves.toEqual([]);
      expect(await own.tickets.find(warnedLate.id)).toMatchObject({ status: 'open' });
      await expect(own.tickets.closeIdle(HOUR / 1000, notice, new Date(now.getTime() + 11 * MINUTE))).resolves.toEqual([warnedLate.id]);

      expect(await own.tickets.find(idle.id)).toMatchObject({ status: 'closed', closedBy: 'auto' });
      for (const ticket of [recentMessage, reopened, fresh, waiting, unwarned]) expect(await own.tickets.find(ticket.id)).toMatchObject({ status: 'open' });
      expect(await own.tickets.find(alreadyClosed.id)).toMatchObject({ status: 'closed', closedBy: 'agent' });
    });
  });

  describe('CustomerRepository prompts', () => {
    it('lets the topic prompt and the greeting go once per interval each, and counts the messages not kept', async () => {
      const customer = await ctx.newCustomer();

      await expect(ctx.customers.claimPrompt(customer.id, 60)).resolves.toBe(true);
      await expect(ctx.customers.claimPrompt(customer.id, 60)).resolves.toBe(false);
      await expect(ctx.customers.claimGreeting(customer.id, 'greeting', 60)).resolves.toBe(true);
      await expect(ctx.customers.claimGreeting(customer.id, 'greeting', 60)).resolves.toBe(false);
      // The reminder of an open ticket is another answer, throttled on its own.
      await expect(ctx.customers.claimGreeting(customer.id, 'reminder', 60)).resolves.toBe(true);
      await ctx.sql(`UPDATE customers SET prompted_at = now() - interval '61 seconds' WHERE id = $1`, [customer.id]);
      await expect(ctx.customers.claimPrompt(customer.id, 60)).resolves.toBe(true);

      await expect(ctx.customers.countDropped(customer.id)).resolves.toBe(1);
      await expect(ctx.customers.countDropped(customer.id)).resolves.toBe(2);
      await ctx.customers.finishIntake(customer.id);
      expect(await ctx.customers.find(customer.id)).toMatchObject({ draftDropped: 0, step: 'idle' });
    });
  });

  describe('CustomerRepository.setBlocked', () => {
    it('reports a change of the blocked flag only once in each direction', async () => {
      const customer = await ctx.newCustomer();

      await expect(ctx.customers.setBlocked(customer.id, true)).resolves.toBe(true);
      await expect(ctx.customers.setBlocked(customer.id, true)).resolves.toBe(false);
      expect((await ctx.customers.find(customer.id))?.blockedAt).toBeInstanceOf(Date);

      await expect(ctx.customers.setBlocked(customer.id, false)).resolves.toBe(true);
      await expect(ctx.customers.setBlocked(customer.id, false)).resolves.toBe(false);
      expect((await ctx.customers.find(customer.id))?.blockedAt).toBeNull();
    });
  });

  describe('TicketMessageRepository.mapReply', () => {
    it('maps a reply to the same message on the other side, in both directions', async () => {
      const ticket = await ctx.newTicket();
      // The customer's message 10 was copied into the topic as 110; the agent's 200 reached the customer as 20.
      await ctx.newMessage(ticket, { direction: 'customer', messageId: 10, copyMessageId: 110 });
      await ctx.newMessage(ticket, { direction: 'agent', chatId: SUPPORT_CHAT_ID, messageId: 200, copyMessageId: 20 });
      const elsewhere = await ctx.newTicket();

      // The customer replies, in their chat, to their own message and to the agent's answer.
      await expect(ctx.messages.mapReply(ticket.id, 'customer', 10)).resolves.toBe(110);
      await expect(ctx.messages.mapReply(ticket.id, 'customer', 20)).resolves.toBe(200);
      // An agent replies, in the topic, to the customer's copied message and to their own answer.
      await expect(ctx.messages.mapReply(ticket.id, 'agent', 110)).resolves.toBe(10);
      await expect(ctx.messages.mapReply(ticket.id, 'agent', 200)).resolves.toBe(20);
      // Nothing to map: an unknown id, no reply, or another ticket's messages.
      await expect(ctx.messages.mapReply(ticket.id, 'customer', 999)).resolves.toBeUndefined();
      await expect(ctx.messages.mapReply(ticket.id, 'agent', null)).resolves.toBeUndefined();
      await expect(ctx.messages.mapReply(elsewhere.id, 'customer', 10)).resolves.toBeUndefined();
    });
  });

  describe('UpdateClaimRepository.claim', () => {
    it('claims an update id once, whatever kind the second claim names', async () => {
      const updateId = ctx.updateId();

      await expect(ctx.updates.claim(updateId, 'message')).resolves.toBe(true);
      await expect(ctx.updates.claim(updateId, 'message')).resolves.toBe(false);
      await expect(ctx.updates.claim(updateId, 'callback')).resolves.toBe(false);
      await expect(ctx.updates.claim(ctx.updateId(), 'message')).resolves.toBe(true);
    });
  });

  describe('TopicRepository', () => {
    it('refuses to record a second, different topic once one was adopted, and accepts the adopted one again', async () => {
      const ticket = await ctx.newTicket();
      await ctx.topics.markRequested(ticket.id);

      await expect(ctx.topics.adopt(ticket.id, SUPPORT_CHAT_ID, 700, 'adopted')).resolves.toEqual({ stale: false });
      await expect(ctx.topics.recordCreated(ticket.id, 701, 'created')).resolves.toBe(false);
      expect(await ctx.tickets.find(ticket.id)).toMatchObject({ threadId: 700, title: 'adopted' });

      await expect(ctx.topics.recordCreated(ticket.id, 700, 'created')).resolves.toBe(true);
      expect(await ctx.tickets.find(ticket.id)).toMatchObject({ threadId: 700, title: 'created', topicRequestedAt: null });
    });

    it('adopts only a topic that was asked for, and reports a request older than 10 s as stale', async () => {
      const neverAsked = await ctx.newTicket();
      await expect(ctx.topics.adopt(neverAsked.id, SUPPORT_CHAT_ID, 710, 'x')).resolves.toBeNull();

      const asked = await ctx.newTicket();
      await ctx.topics.markRequested(asked.id);
      await ctx.sql(`UPDATE tickets SET topic_requested_at = now() - interval '1 minute' WHERE id = $1`, [asked.id]);
      await expect(ctx.topics.adopt(asked.id, SUPPORT_CHAT_ID, 711, 'y')).resolves.toEqual({ stale: true });
      // Adopted once: a second announcement changes nothing.
      await expect(ctx.topics.adopt(asked.id, SUPPORT_CHAT_ID, 712, 'z')).resolves.toBeNull();
      expect(await ctx.tickets.find(asked.id)).toMatchObject({ threadId: 711 });
    });
  });

  describe('several support groups', () => {
    it('gives tickets from before groups the first group, keeps a thread id unique per group only, and counts open tickets per group', async () => {
      const old = await ctx.newTicket({ threadId: 800 });
      await ctx.sql(`UPDATE tickets SET group_id = NULL WHERE id = $1`, [old.id]);
      const other = -1009000000002;
      // The same thread id in another group is another topic.
      const elsewhere = await ctx.newTicket();
      await ctx.sql(`UPDATE tickets SET group_id = $2, thread_id = 800 WHERE id = $1`, [elsewhere.id, other]);

      expect(await ctx.tickets.adoptGroupless(SUPPORT_CHAT_ID)).toBe(1);
      expect(await ctx.tickets.find(old.id)).toMatchObject({ groupId: SUPPORT_CHAT_ID, threadId: 800 });
      expect((await ctx.tickets.ofThread(SUPPORT_CHAT_ID, 800))?.id).toBe(old.id);
      expect((await ctx.tickets.ofThread(other, 800))?.id).toBe(elsewhere.id);
      const third = await ctx.newTicket();
      await expect(ctx.sql(`UPDATE tickets SET thread_id = 800 WHERE id = $1`, [third.id])).rejects.toThrow(/tickets_group_thread/);
      const counts = await ctx.tickets.openCountsByGroup();
      expect(counts.get(other)).toBe(1);
      expect(counts.get(SUPPORT_CHAT_ID)).toBeGreaterThanOrEqual(1);
      expect(await ctx.tickets.adoptGroupless(SUPPORT_CHAT_ID)).toBe(0);
    });
  });
});
