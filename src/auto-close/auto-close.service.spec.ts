import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SyncJobQueue } from '../jobs/sync.driver';
import { UnitOfWork } from '../jobs/unit-of-work';
import { currentWork } from '../logging/work-context';
import { I18n } from '../telegram/i18n/i18n.service';
import { TelegramCallError } from '../telegram/telegram-error';
import type { TelegramGateway } from '../telegram/telegram.gateway';
import type { TicketRepository } from '../tickets/repositories/ticket.repository';
import { wireListeners } from '../../test/support/listeners';
import { fakeDataSource, mockOf, unitConfig } from '../../test/support/unit-fixtures';
import { AutoCloseService } from './auto-close.service';

const HOUR_S = 3600;
const NOW = new Date('2026-03-01T12:00:00Z');
const warning = (ticketId: number, customerId: number) => ({ ticketId, customerId, language: 'en' as const, leftSeconds: 11 * HOUR_S });

function setup() {
  const config = unitConfig({ AUTO_CLOSE_AFTER: '48h' });
  const { dataSource, manager } = fakeDataSource();
  const queue = new SyncJobQueue();
  const emitter = new EventEmitter2();
  wireListeners(emitter, config);
  const tickets = mockOf<TicketRepository>('closeIdle', 'claimIdleWarnings', 'withdrawIdleWarning');
  const gateway = mockOf<TelegramGateway>('sendMessage');
  tickets.closeIdle.mockResolvedValue([]);
  tickets.claimIdleWarnings.mockResolvedValue([]);
  tickets.withdrawIdleWarning.mockResolvedValue(undefined);
  gateway.sendMessage.mockResolvedValue({ message_id: 1 } as never);
  const sut = new AutoCloseService(config, new UnitOfWork(dataSource, queue, emitter), tickets, gateway, new I18n(config));
  return { sut, tickets, gateway, queue, manager };
}

/** Every line the service logs, with the ticket its log context names at that moment. */
function captureLogs(): { line: string; ticket: number | undefined }[] {
  const lines: { line: string; ticket: number | undefined }[] = [];
  for (const level of ['log', 'warn', 'error'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
      lines.push({ line: String(args[0]), ticket: currentWork()?.ticket });
    });
  }
  return lines;
}

afterEach(() => jest.restoreAllMocks());

describe('AutoCloseService.sweep', () => {
  it('asks the queries at the given clock: warned at 36 h, closed at 48 h, at least 12 h after the warning', async () => {
    const t = setup();
    await t.sut.sweep(NOW);
    expect(t.tickets.closeIdle).toHaveBeenCalledWith(48 * HOUR_S, 12 * HOUR_S, NOW, t.manager);
    expect(t.tickets.claimIdleWarnings).toHaveBeenCalledWith(36 * HOUR_S, 48 * HOUR_S, 12 * HOUR_S, NOW);
  });

  it('closes what is due by "auto" and warns with the "I still need help" button, naming each ticket in its log lines', async () => {
    const t = setup();
    const logs = captureLogs();
    t.tickets.closeIdle.mockResolvedValue([5, 6]);
    t.tickets.claimIdleWarnings.mockResolvedValue([warning(7, 701)]);

    await expect(t.sut.sweep(NOW)).resolves.toEqual({ warned: [7], closed: [5, 6] });

    expect(t.queue.sentTo('ticket.lifecycle')).toEqual([
      { ticketId: 5, event: 'closed', by: 'auto' },
      { ticketId: 6, event: 'closed', by: 'auto' },
    ]);
    expect(t.gateway.sendMessage).toHaveBeenCalledWith(
      701,
      expect.stringContaining('it will be closed in 11 h'),
      { reply_markup: { inline_keyboard: [[{ text: 'I still need help', callback_data: 'keep:7' }]] } },
      { lane: 'customer' },
    );
    expect(logs.length).toBeGreaterThanOrEqual(3);
    for (const { line, ticket } of logs) expect(`${ticket}: ${line}`).toMatch(/^(\d+): ticket #\1\b/);
  });

  it('withdraws a warning that did not reach the customer, so no close follows it, and tries the next one', async () => {
    const t = setup();
    const logs = captureLogs();
    t.tickets.claimIdleWarnings.mockResolvedValue([warning(7, 701), warning(8, 801)]);
    t.gateway.sendMessage.mockRejectedValueOnce(new TelegramCallError('sendMessage', 'transient', 502, 'Bad Gateway'));

    await expect(t.sut.sweep(NOW)).resolves.toEqual({ warned: [8], closed: [] });

    expect(t.tickets.withdrawIdleWarning).toHaveBeenCalledTimes(1);
    expect(t.tickets.withdrawIdleWarning).toHaveBeenCalledWith(7, NOW);
    expect(logs).toContainEqual({ line: expect.stringMatching(/^ticket #7: the auto-close warning failed .*sent again/), ticket: 7 });
  });

  it('counts the warning of a customer who blocked the bot as given (nobody to warn, the close goes ahead)', async () => {
    const t = setup();
    t.tickets.claimIdleWarnings.mockResolvedValue([warning(7, 701)]);
    t.gateway.sendMessage.mockRejectedValueOnce(new TelegramCallError('sendMessage', 'blocked', 403, 'Forbidden: bot was blocked by the user'));
    captureLogs();

    await expect(t.sut.sweep(NOW)).resolves.toEqual({ warned: [7], closed: [] });
    expect(t.tickets.withdrawIdleWarning).not.toHaveBeenCalled();
  });

  it('says the warning may not count when even its withdrawal fails, and still warns the others', async () => {
    const t = setup();
    const logs = captureLogs();
    t.tickets.claimIdleWarnings.mockResolvedValue([warning(7, 701), warning(8, 801)]);
    t.gateway.sendMessage.mockRejectedValueOnce(new TelegramCallError('sendMessage', 'transient', undefined, 'ECONNRESET'));
    t.tickets.withdrawIdleWarning.mockRejectedValueOnce(new Error('Connection terminated'));

    await expect(t.sut.sweep(NOW)).resolves.toEqual({ warned: [8], closed: [] });
    expect(logs).toContainEqual({ line: expect.stringMatching(/^ticket #7: .*may close unwarned/), ticket: 7 });
  });
});
