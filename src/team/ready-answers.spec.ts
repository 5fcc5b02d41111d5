import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReadyAnswers, ReadyAnswersError, fillAnswer, parseReadyAnswers } from './ready-answers';
import { parseBan } from './team-gate.service';
import { unitConfig } from '../../test/support/unit-fixtures';

describe('ready answers catalog', () => {
  it('parses the shipped catalog: every answer in both languages', () => {
    const answers = parseReadyAnswers(readFileSync(join(__dirname, '../../catalog/answers.md'), 'utf8'), 'answers.md');
    expect(answers.map((a) => a.name)).toEqual(['hello', 'refund', 'password', 'details', 'bye']);
    for (const answer of answers) expect(answer.text.en && answer.text.ru).toBeTruthy();
  });

  it.each([
    ['## hello\n### en\nHi\n', /answers.md:1: the answer "hello" needs a non-empty "### ru" text/],
    ['## Hello There\n', /the answer name "Hello There" must be/],
    ['## a\n### en\nx\n### ru\ny\n## a\n### en\nx\n### ru\ny\n', /answers.md:6: the answer "a" is defined twice/],
    ['## a\n### de\nx\n', /unknown language "de"/],
    ['## a\nloose text\n', /must be under "### en" or "### ru"/],
  ])('names the problem of a broken file: %j', (markdown, message) => {
    expect(() => parseReadyAnswers(markdown, 'answers.md')).toThrow(ReadyAnswersError);
    expect(() => parseReadyAnswers(markdown, 'answers.md')).toThrow(message);
  });

  it('fills {name} and {ticket} and leaves other braces alone', () => {
    expect(fillAnswer('Hi {name}, #{ticket} {other}', { name: 'Ann', ticket: 42 })).toBe('Hi Ann, #42 {other}');
  });

  it('suggests the closest names for a mistyped one, and none for nonsense', () => {
    const answers = new ReadyAnswers(unitConfig());
    expect(answers.closest('refnd')).toEqual(['refund']);
    expect(answers.closest('pass')).toEqual(['password']);
    expect(answers.closest('zzzzzzzz')).toEqual([]);
  });
});

describe('/ban arguments', () => {
  const now = Date.UTC(2026, 0, 1);
  it('reads an optional duration, then the reason', () => {
    expect(parseBan('', now)).toEqual({ until: null, reason: null });
    expect(parseBan('7d spam and abuse', now)).toEqual({ until: new Date(now + 7 * 86_400_000), reason: 'spam and abuse' });
    expect(parseBan('spam', now)).toEqual({ until: null, reason: 'spam' });
    expect(parseBan('12h', now)).toEqual({ until: new Date(now + 12 * 3_600_000), reason: null });
  });

  it('refuses a duration it cannot read or shorter than a minute', () => {
    expect(parseBan('7x spam', now)).toBeNull();
    expect(parseBan('10s', now)).toBeNull();
  });
});
