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
  it('escapes the customer name and shows the username and id', () => {
    const i18n = new I18n(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001' }));
    const customer = { id: 7, firstName: '<b>x</b> & <i>', lastName: null, username: 'ann' } as Customer;
    const card = ticketCard(i18n, 'en', ticket, customer, 'A & B');
    expect(card).toContain('&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;');
    expect(card).toContain('@ann');
    expect(card).toContain('id <code>7</code>');
    expect(card).toContain('Category: A &amp; B');
  });
});
