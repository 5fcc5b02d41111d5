import { loadConfig } from '../config/app-config';
import { I18n } from '../telegram/i18n/i18n.service';
import type { Customer } from '../tickets/customer.entity';
import type { Ticket } from '../tickets/ticket.entity';
import { TOPIC_NAME_MAX, provisionalTitle, ticketCard } from './ticket-card';

const ticket = { id: 42, language: 'en' } as Ticket;

describe('provisionalTitle', () => {
  it('names the ticket, the category and the start of the message', () => {
    expect(provisionalTitle(ticket, 'Payments › Refund', 'My refund\nnever arrived')).toBe('#42 · Payments › Refund · My refund never arrived');
  });

  it('stays within Telegram’s 128 characters', () => {
    const title = provisionalTitle(ticket, 'Payments', 'word '.repeat(100));
    expect(Array.from(title).length).toBeLessThanOrEqual(TOPIC_NAME_MAX);
    expect(title.startsWith('#42 · Payments · word')).toBe(true);
  });

  it('works without text (a photo without caption)', () => {
    expect(provisionalTitle(ticket, 'Other', null)).toBe('#42 · Other');
  });
});

describe('ticketCard', () => {
  const i18n = new I18n(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001' }));

  it('shows the customer name as it is (no HTML), the username and the id, with entities at the right places', () => {
    const customer = { id: 7, firstName: '<b>x</b> & 😀', lastName: null, username: 'ann' } as Customer;
    const card = ticketCard(i18n, 'en', ticket, customer, 'A & B');
    expect(card.text).toBe('🎫 Ticket #42\nCustomer: <b>x</b> & 😀 · @ann · id 7\nLanguage: English\nCategory: A & B');
    const at = (entity: { offset: number; length: number }) => card.text.slice(entity.offset, entity.offset + entity.length);
    expect(card.entities.map((e) => [e.type, at(e)])).toEqual([
      ['bold', '🎫 Ticket #42'],
      ['text_link', '<b>x</b> & 😀'],
      ['code', '7'],
    ]);
  });

  it('tells a returning customer’s earlier tickets and last rating', () => {
    const card = ticketCard(i18n, 'en', ticket, { id: 8, firstName: 'Ann', lastName: null, username: 'ann' } as Customer, 'Other', { tickets: 3, lastRating: 4 });
    expect(card.text.split('\n').at(-1)).toBe('Earlier tickets: 3 · last rating: ★★★★☆');
    expect(ticketCard(i18n, 'en', ticket, { id: 8, firstName: 'Ann', lastName: null, username: 'ann' } as Customer, 'Other').text).not.toContain('Earlier');
  });

  it('says so when the customer has no username', () => {
    const card = ticketCard(i18n, 'en', ticket, { id: 8, firstName: 'Ann', lastName: 'Lee', username: null } as Customer, 'Other');
    expect(card.text).toContain('Ann Lee · no username · id 8');
    expect(card.entities.map((e) => e.type)).toEqual(['bold', 'text_link', 'italic', 'code']);
  });
});
