import { Logger } from '@nestjs/common';
import { mockOf } from '../../test/support/unit-fixtures';
import { JobQueue } from '../jobs/job-queue';
import { logBindings } from '../logging/work-context';
import { TicketMessageRepository } from '../tickets/repositories/ticket-message.repository';
import { TicketRepository } from '../tickets/repositories/ticket.repository';
import { TopicRepository } from '../tickets/repositories/topic.repository';
import { SyncSweeper, sweepBackoffMs } from './sync-sweeper.service';

describe('SyncSweeper', () => {
  const setup = (pending: () => number[]) => {
    const topics = mockOf<TopicRepository>('withoutTopic', 'iconStale');
    const messages = mockOf<TicketMessageRepository>('ticketsWithPending');
    const tickets = mockOf<TicketRepository>('unacknowledged');
    const jobs = mockOf<JobQueue>('send');
    // Ticket work still pending, as the database would answer: everything pending and not skipped.
    topics.withoutTopic.mockImplementation(async (_age, _limit, skip = []) => pending().filter((id) => !skip.includes(id)));
    messages.ticketsWithPending.mockResolvedValue([]);
    topics.iconStale.mockResolvedValue([]);
    tickets.unacknowledged.mockResolvedValue([]);
    jobs.send.mockResolvedValue(undefined);
    const sweeper = new SyncSweeper(tickets, topics, messages, jobs);
    const sentFor = (ticketId: number) => jobs.send.mock.calls.filter(([name, data]) => name === 'ticket.sync' && (data as { ticketId: number }).ticketId === ticketId).length;
    return { sweeper, sentFor, topics };
  };

  it('sweeps work that keeps failing less and less often, and never stops sweeping it', async () => {
    const { sweeper, sentFor } = setup(() => [7]);
    const sweptAt: number[] = [];
    for (let t = 0; t <= 20 * 60_000; t += 30_000) {
      const before = sentFor(7);
      await sweeper.sweep(30, t);
      if (sentFor(7) > before) sweptAt.push(t / 1000);
    }
    // Twice at the interval, then after 1, 2, 4, 8 minutes.
    expect(sweptAt).toEqual([0, 30, 90, 210, 450, 930]);
  });

  it('forgets the count once the work is done, so new work of that ticket is swept at once again', async () => {
    let pending = [8];
    const { sweeper, sentFor } = setup(() => pending);
    await sweeper.sweep(30, 0);
    pending = [];
    await sweeper.sweep(30, 30_000);
    pending = [8];
    await sweeper.sweep(30, 60_000);
    await sweeper.sweep(30, 90_000);
    // Remembered, the second sweep of the new work would have rested until 120 s.
    expect(sentFor(8)).toBe(3);
  });

  it('asks the database for other tickets while a failing one rests, so it cannot take the batch', async () => {
    const { sweeper, topics } = setup(() => [1, 2]);
    await sweeper.sweep(30, 0);
    await sweeper.sweep(30, 30_000);
    await sweeper.sweep(30, 60_000);
    expect(topics.withoutTopic.mock.calls.at(-1)?.[2]).toEqual([1, 2]);
  });

  it("names the ticket in each of its lines (a sweep runs outside any update or job), and in no other ticket's", async () => {
    const { sweeper } = setup(() => [5, 6]);
    const warnings: { msg: string; bindings: Record<string, unknown> }[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((msg: unknown) => void warnings.push({ msg: String(msg), bindings: logBindings() }));
    try {
      await sweeper.sweep(30, 0);
      await sweeper.sweep(30, 30_000);
    } finally {
      warn.mockRestore();
    }
    expect(warnings).toEqual([
      { msg: expect.stringMatching(/^ticket #5: ticket.sync is still unfinished/), bindings: { ticket: 5 } },
      { msg: expect.stringMatching(/^ticket #6: ticket.sync is still unfinished/), bindings: { ticket: 6 } },
    ]);
    expect(logBindings()).toEqual({});
  });

  it('waits at most an hour', () => {
    expect(sweepBackoffMs(1)).toBe(0);
    expect(sweepBackoffMs(2)).toBe(60_000);
    expect(sweepBackoffMs(40)).toBe(60 * 60_000);
  });
});
