import { unitConfig } from '../../test/support/unit-fixtures';
import { I18n } from '../telegram/i18n/i18n.service';
import { OPEN_PAGE_SIZE, formatWaited, openListText, statsText, topicLink } from './desk-commands.service';

describe('/open', () => {
  const i18n = new I18n(unitConfig());
  const now = new Date('2026-12-01T12:00:00Z');
  const waiting = (id: number, minutesAgo: number) => ({
    id,
    threadId: 100 + id,
    title: null,
    category: 'billing',
    subcategory: null,
    waitingSince: new Date(now.getTime() - minutesAgo * 60_000),
  });

  it('links a supergroup topic the way Telegram does', () => {
    expect(topicLink(-1001234567890, 42)).toBe('https://t.me/c/1234567890/42');
  });

  it('says how long in days, hours and minutes, in both languages', () => {
    expect(formatWaited(12 * 60_000, 'en')).toBe('12 min');
    expect(formatWaited((2 * 60 + 5) * 60_000, 'en')).toBe('2 h 5 min');
    expect(formatWaited((3 * 1440 + 4 * 60 + 59) * 60_000, 'ru')).toBe('3 д 4 ч');
  });

  it('numbers the page’s tickets, links each and points to the next page', () => {
    const page = { total: 45, tickets: [waiting(7, 125), waiting(9, 3)] };
    const text = openListText(i18n, 'en', page, 2, now, () => 'Billing & <refunds>', -1001234567890);
    const lines = text.split('\n');
    expect(lines[0]).toBe('⏳ <b>Waiting for the team: 45</b> (oldest first)');
    expect(lines[2]).toBe(`${OPEN_PAGE_SIZE + 1}. <a href="https://t.me/c/1234567890/107">#7 · Billing &amp; &lt;refunds&gt;</a> — 2 h 5 min`);
    expect(lines[3]).toMatch(/^22\. <a href=".*\/109">#9 · .*<\/a> — 3 min$/);
    expect(lines.at(-1)).toBe('Page 2 of 3 · /open 3 for more');
  });

  it('says so when nothing waits, and has no footer on the last page', () => {
    expect(openListText(i18n, 'en', { total: 0, tickets: [] }, 1, now, () => '', -1001)).toBe('✅ No ticket is waiting for the team.');
    expect(openListText(i18n, 'en', { total: 1, tickets: [waiting(1, 1)] }, 1, now, () => 'x', -1001)).not.toContain('Page');
  });
});

describe('/stats', () => {
  const i18n = new I18n(unitConfig());

  it('says every figure, with durations in words and dashes where there is nothing to measure', () => {
    const stats = {
      open: 3,
      waiting: 1,
      opened: 4,
      closed: 2,
      firstAnswerMedianS: 30 * 60,
      firstAnswerP90S: 78 * 60,
      closeMedianS: 3 * 3600,
      ratingAverage: 3.5,
      rated: 2,
      busiest: [{ category: 'payments', subcategory: null, tickets: 2 }],
    };
    expect(statsText(i18n, 'en', stats, 7, (c) => c.toUpperCase()).split('\n')).toEqual([
      '📊 <b>The desk, last 7 days</b>',
      'Open now: 3 · waiting for the team: 1',
      'Opened: 4 · closed: 2',
      'First answer: median 30 min · 90% within 1 h 18 min',
      'Time to close: median 3 h 0 min',
      'Rating: 3.5 of 5 (2 rated)',
      'Busiest: PAYMENTS (2)',
    ]);
    const empty = { ...stats, firstAnswerMedianS: null, firstAnswerP90S: null, closeMedianS: null, ratingAverage: null, rated: 0, busiest: [] };
    expect(statsText(i18n, 'ru', empty, 1, (c) => c)).toContain('Оценка: — из 5 (оценок: 0)');
    expect(statsText(i18n, 'en', empty, 1, (c) => c).split('\n')[0]).toBe('📊 <b>The desk, last 1 day</b>');
    expect(statsText(i18n, 'ru', empty, 30, (c) => c).split('\n')[0]).toBe('📊 <b>Поддержка за 30 дн.</b>');
  });
});
