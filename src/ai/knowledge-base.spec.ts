import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';
import { KnowledgeBase, SECTION_MAX_CHARS, selectKnowledge, splitMarkdown, stems } from './knowledge-base';

const refunds = `# Payments

## Refund: how to get your money back

You can ask for a refund within 14 days. The bank credits it within 5 to 10 business days.

## Charged twice

A second charge is usually a hold by your bank and disappears within 3 business days.
`;
const account = `# Account

## Forgot password

Press "Forgot password" on the sign-in page; the reset link is valid for 1 hour.
`;
const russian = `# Оплата

## Возврат средств

Вернуть деньги можно в течение 14 дней после покупки.
`;

describe('knowledge base', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('splits Markdown at headings, keeping the heading path', () => {
    const sections = splitMarkdown('en/payments.md', refunds);
    expect(sections.map((s) => s.heading)).toEqual(['Payments › Refund: how to get your money back', 'Payments › Charged twice']);
    expect(sections[0].source).toBe('en/payments.md#Payments › Refund: how to get your money back');
    expect(sections[0].text).toContain('14 days');
  });

  it('cuts a long section into bounded chunks', () => {
    const long = '## Long\n\n' + Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ` + 'text '.repeat(30)).join('\n\n');
    const sections = splitMarkdown('long.md', long);
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) expect(s.text.length).toBeLessThanOrEqual(SECTION_MAX_CHARS);
  });

  it('stems words crudely, without stop words', () => {
    expect(stems('How do I get a refund for the refunds?')).toEqual(['refun', 'refun']);
    expect(stems('Мне дважды списали деньги')).toEqual(['дважд', 'списа', 'деньг']);
  });

  it('selects the sections that share words with the question, best first', () => {
    const sections = [...splitMarkdown('en/payments.md', refunds), ...splitMarkdown('en/account.md', account), ...splitMarkdown('ru/payments.md', russian)];
    const chosen = selectKnowledge(sections, 'I forgot my password, the reset link does not work');
    expect(chosen[0].heading).toBe('Account › Forgot password');
    expect(chosen.every((s) => !s.heading.includes('Charged'))).toBe(true);
    expect(selectKnowledge(sections, 'Где мой возврат? Деньги не пришли')[0].heading).toBe('Оплата › Возврат средств');
    expect(selectKnowledge(sections, 'My cat likes the new sofa')).toEqual([]);
  });

  it('keeps the selection within the character and section budget', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ source: `f${i}.md`, heading: `Refund ${i}`, text: `Refund policy ${i} ` + 'x'.repeat(900) }));
    const chosen = selectKnowledge(many, 'refund', { maxChars: 3000, maxSections: 10 });
    expect(chosen.length).toBe(3);
    expect(chosen.reduce((n, s) => n + s.text.length, 0)).toBeLessThanOrEqual(3000);
    expect(selectKnowledge(many, 'refund', { maxChars: 100_000, maxSections: 4 })).toHaveLength(4);
  });

  it('loads a folder recursively, skipping READMEs and other files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-'));
    try {
      mkdirSync(join(dir, 'en'));
      writeFileSync(join(dir, 'en', 'payments.md'), refunds);
      writeFileSync(join(dir, 'README.md'), '# About this folder\n\nRefund refund refund.');
      writeFileSync(join(dir, 'notes.txt'), 'refund');
      const kb = new KnowledgeBase(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001' }));
      await kb.load(dir);
      expect(kb.size).toBe(2);
      const excerpts = kb.select('refund please');
      expect(excerpts[0].source).toBe('en/payments.md#Payments › Refund: how to get your money back');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships a sample knowledge base that answers common questions in both languages', async () => {
    const kb = new KnowledgeBase(loadConfig({ BOT_TOKEN: '1:a', SUPPORT_CHAT_ID: '-1001' }));
    await kb.load(join(__dirname, '../../knowledge'));
    expect(kb.select('How long does a refund take?')[0].source).toMatch(/^en\/payments\.md#.*Refund/);
    expect(kb.select('Мне дважды списали деньги за заказ')[0].source).toMatch(/^ru\/payments\.md#.*дважды/);
  });
});
