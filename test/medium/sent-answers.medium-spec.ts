import { TeamRepository } from '../../src/team/repositories/team.repository';
import { MediumContext, SUPPORT_CHAT_ID, newMediumContext } from './medium-context';

const MINUTE = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms);

/** Answers the bot sends itself (ready answers, AI answers) in the ticket's record, against PostgreSQL. */
describe('answers the bot sent, in the record', () => {
  let ctx: MediumContext;
  let team: TeamRepository;

  beforeAll(async () => {
    ctx = await newMediumContext();
    team = new TeamRepository(ctx.dataSource);
  });
  afterAll(() => ctx?.close());

  const sentAnswer = (customerId: number, messageId: number, via: 'ready' | 'ai-draft' | 'ai-auto' = 'ready') => ({
    via,
    chatId: customerId,
    messageId,
    text: 'Hello!',
    authorName: via === 'ai-auto' ? null : 'Olga',
  });

  it('is recorded once, as delivered: the delivery jobs have nothing to send', async () => {
    const ticket = await ctx.newTicket({ createdAt: ago(10 * MINUTE) });
    await ctx.newMessage(ticket, { createdAt: ago(10 * MINUTE) });
    // A write retried after a lost reply finds the row already there.
    await ctx.messages.recordSentAnswer(ticket.id, sentAnswer(ticket.customerId, 500));
    await ctx.messages.recordSentAnswer(ticket.id, sentAnswer(ticket.customerId, 500));
    const rows = await ctx.sql(`SELECT direction, via, chat_id, author_name, copied_at IS NOT NULL AS delivered FROM ticket_messages WHERE ticket_id = $1 AND via <> 'chat'`, [
      ticket.id,
    ]);
    expect(rows).toEqual([{ direction: 'agent', via: 'ready', chat_id: String(ticket.customerId), author_name: 'Olga', delivered: true }]);
    expect(await ctx.messages.pending(ticket.id, 'agent')).toEqual([]);
    expect(await ctx.messages.hasPending(ticket.id, 'agent')).toBe(false);
    expect(await ctx.messages.ticketsWithPending('agent', 0, 100)).not.toContain(ticket.id);
    expect(await ctx.messages.agentAnswered(ticket.id)).toBe(true);
  });

  it('keeps replies mapped: an answer in the customer’s chat is not the topic message an agent replied to', async () => {
    const ticket = await ctx.newTicket();
    // The ready answer is 200 in the customer's chat; the agent's 200 in the topic reached the customer as 20.
    await ctx.messages.recordSentAnswer(ticket.id, sentAnswer(ticket.customerId, 200));
    await ctx.newMessage(ticket, { direction: 'agent', chatId: SUPPORT_CHAT_ID, messageId: 200, copyMessageId: 20 });
    await expect(ctx.messages.mapReply(ticket.id, 'agent', 200)).resolves.toBe(20);
  });

  it('counts a ready answer and a sent draft as the team’s first answer for the reminder, an automatic answer not', async () => {
    const make = async (via: 'ready' | 'ai-draft' | 'ai-auto' | null) => {
      const ticket = await ctx.newTicket({ createdAt: ago(40 * MINUTE) });
      await ctx.newMessage(ticket, { createdAt: ago(40 * MINUTE) });
      if (via) await ctx.newMessage(ticket, { via, createdAt: ago(39 * MINUTE) });
      // The customer wrote again after it: the ticket waits for the team whatever came before.
      await ctx.newMessage(ticket, { createdAt: ago(38 * MINUTE) });
      return ticket.id;
    };
    const [ready, draft, auto, none] = [await make('ready'), await make('ai-draft'), await make('ai-auto'), await make(null)];
    const due = await ctx.dataSource.transaction((db) => team.claimSlaDue(30 * 60, new Date(), db));
    expect(due).toEqual(expect.arrayContaining([auto, none]));
    expect(due).not.toContain(ready);
    expect(due).not.toContain(draft);
  });

  it('waits, on /open, from the customer’s first message after the team’s last answer; an automatic answer is not one', async () => {
    const auto = await ctx.newTicket({ createdAt: ago(60 * MINUTE), category: 'sent-auto' });
    await ctx.newMessage(auto, { createdAt: ago(60 * MINUTE) });
    await ctx.newMessage(auto, { via: 'ai-auto', createdAt: ago(59 * MINUTE) });
    await ctx.newMessage(auto, { createdAt: ago(50 * MINUTE) });
    const ready = await ctx.newTicket({ createdAt: ago(60 * MINUTE), category: 'sent-ready' });
    await ctx.newMessage(ready, { createdAt: ago(60 * MINUTE) });
    await ctx.newMessage(ready, { via: 'ready', createdAt: ago(59 * MINUTE) });
    await ctx.newMessage(ready, { createdAt: ago(50 * MINUTE) });
    const { tickets } = await ctx.tickets.waiting(100, 0);
    const since = (category: string) => tickets.find((t) => t.category === category)!.waitingSince.getTime();
    expect(since('sent-auto')).toBeCloseTo(ago(60 * MINUTE).getTime(), -4);
    expect(since('sent-ready')).toBeCloseTo(ago(50 * MINUTE).getTime(), -4);
  });
});
