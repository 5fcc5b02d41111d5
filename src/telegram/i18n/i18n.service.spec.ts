import { loadConfig } from '../../config/app-config';
import { I18n } from './i18n.service';
import { CATALOG } from './messages';

describe('I18n', () => {
  const i18n = new I18n(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001', DEFAULT_LANGUAGE: 'ru' }));

  it('has every key in every language', () => {
    expect(Object.keys(CATALOG.ru).sort()).toEqual(Object.keys(CATALOG.en).sort());
  });

  it('fills placeholders with escaped values', () => {
    expect(i18n.t('en', 'start.greeting', { name: '<b>x</b> & <i>' })).toContain('Hello, &lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;!');
  });

  it('says the acknowledgement in the customer language with the ticket number', () => {
    expect(i18n.t('ru', 'ticket.ack', { ticket: 42 })).toBe(
      'Спасибо за ваше обращение, наша команда поддержки рассмотрит его в порядке очереди.\nНомер обращения: <b>#42</b>',
    );
    expect(i18n.t('en', 'ticket.ack', { ticket: 7 })).toMatch(/^Thank you for your request.*#7/s);
  });

  it('picks a language from the Telegram language_code, else the default', () => {
    expect(i18n.pick('en-GB')).toBe('en');
    expect(i18n.pick('ru')).toBe('ru');
    expect(i18n.pick('de')).toBe('ru');
    expect(i18n.pick(undefined)).toBe('ru');
  });
});
