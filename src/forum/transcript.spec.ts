import { unitConfig } from '../../test/support/unit-fixtures';
import { I18n } from '../telegram/i18n/i18n.service';
import { formatWindow } from './jobs/lifecycle.job';
import { TranscriptMessage, transcriptText } from './transcript';

describe('/transcript file', () => {
  const i18n = new I18n(unitConfig());
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 9, minute));
  const ticket = { id: 42, customerId: 777, language: 'ru' as const, status: 'closed' as const, createdAt: at(0) };
  const customer = { firstName: 'Иван', lastName: null, username: 'ivan' };
  const messages: TranscriptMessage[] = [
    { direction: 'customer', via: 'chat', kind: 'text', text: 'where is my parcel?', authorName: null, createdAt: at(0) },
    { direction: 'agent', via: 'ai-auto', kind: 'text', text: 'Parcels take 3 days.', authorName: null, createdAt: at(1) },
    { direction: 'agent', via: 'ready', kind: 'text', text: 'Hello, Иван!', authorName: 'Olga', createdAt: at(2) },
    { direction: 'customer', via: 'chat', kind: 'photo', text: 'the label & <barcode>', authorName: null, createdAt: at(3) },
    { direction: 'agent', via: 'ai-draft', kind: 'text', text: 'It is on its way.', authorName: 'Pavel', createdAt: at(4) },
    { direction: 'agent', via: 'chat', kind: 'voice', text: null, authorName: 'Olga', createdAt: at(5) },
    { direction: 'agent', via: 'chat', kind: 'text', text: 'Anything else?', authorName: null, createdAt: at(6) },
  ];

  it('says who wrote every line, the bot’s answers for the team marked as such, in the support language', () => {
    const lines = transcriptText(i18n, 'en', { ticket, customer, category: 'Delivery' }, messages).split('\n');
    expect(lines).toEqual([
      '#42 · Delivery',
      'Иван (@ivan) · id 777 · Русский',
      'Opened 2026-11-24 09:00 UTC · closed',
      '',
      '[2026-11-24 09:00] Иван (Customer): where is my parcel?',
      '[2026-11-24 09:01] AI (automatic answer): Parcels take 3 days.',
      '[2026-11-24 09:02] Olga (Support, ready answer): Hello, Иван!',
      '[2026-11-24 09:03] Иван (Customer): [photo] the label & <barcode>',
      '[2026-11-24 09:04] Pavel (Support, AI draft): It is on its way.',
      '[2026-11-24 09:05] Olga (Support): [voice message]',
      '[2026-11-24 09:06] Support: Anything else?',
      '',
    ]);
  });

  it('is all Russian for a Russian-speaking team', () => {
    const text = transcriptText(i18n, 'ru', { ticket: { ...ticket, status: 'open' }, customer: null, category: 'Доставка' }, messages);
    const lines = text.split('\n');
    expect(lines.slice(1, 3)).toEqual(['777 · ID 777 · Русский', 'Создано 2026-11-24 09:00 UTC · открыто']);
    expect(lines[5]).toBe('[2026-11-24 09:01] ИИ (автоматический ответ): Parcels take 3 days.');
    expect(lines[6]).toBe('[2026-11-24 09:02] Olga (поддержка, готовый ответ): Hello, Иван!');
    expect(lines[7]).toBe('[2026-11-24 09:03] 777 (клиент): [фото] the label & <barcode>');
    expect(lines[9]).toBe('[2026-11-24 09:05] Olga (поддержка): [голосовое сообщение]');
  });
});

describe('formatWindow', () => {
  it('says a window in whole hours, or minutes under an hour, in both languages', () => {
    expect(formatWindow(24 * 3_600_000, 'en')).toBe('24 h');
    expect(formatWindow(24 * 3_600_000, 'ru')).toBe('24 ч');
    expect(formatWindow(12 * 60_000, 'en')).toBe('12 min');
    expect(formatWindow(10_000, 'ru')).toBe('1 мин');
  });
});
