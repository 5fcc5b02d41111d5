import { Logger } from '@nestjs/common';
import { unitConfig } from '../../test/support/unit-fixtures';
import { createRootLogger, nestLoggerFor } from './logger';
import { jobContext, noteTicket, withWorkContext } from './work-context';

const TOKEN = '555000:AAE-unit-test-token-value';
const KEY = 'sk-unit-test-openai-key';

function capture(env: Record<string, string> = {}) {
  const chunks: string[] = [];
  const config = unitConfig({
    BOT_TOKEN: TOKEN,
    OPENAI_API_KEY: KEY,
    DATABASE_URL: 'postgres://helpdesk:db-password-42@db:5432/helpdesk',
    LOG_FORMAT: 'json',
    ...env,
  });
  const root = createRootLogger(config, { write: (chunk: string) => void chunks.push(chunk) });
  const text = () => chunks.join('');
  const lines = () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { root, nest: new Logger('Spec'), attach: () => Logger.overrideLogger(nestLoggerFor(root)), text, lines };
}

describe('the root logger', () => {
  afterEach(() => Logger.overrideLogger(false));

  it("writes Nest's log calls as JSON lines with the level, the context and the message", () => {
    const log = capture();
    log.attach();
    log.nest.log('ticket #4 opened');
    log.nest.warn('slow');
    expect(log.lines()).toEqual([
      expect.objectContaining({ level: 'info', context: 'Spec', msg: 'ticket #4 opened', time: expect.any(String) }),
      expect.objectContaining({ level: 'warn', context: 'Spec', msg: 'slow' }),
    ]);
  });

  it('adds the current update, chat, ticket and job to each line, and nothing outside one', async () => {
    const log = capture();
    log.attach();
    await withWorkContext({ updateId: 17, chat: 42 }, async () => {
      log.nest.log('before the ticket is known');
      await Promise.resolve();
      noteTicket(9);
      log.nest.log('after');
    });
    withWorkContext(jobContext('ticket.sync', { ticketId: 9 }), () => log.nest.log('in a job'));
    log.nest.log('outside');
    const [before, after, job, outside] = log.lines();
    expect(before).toMatchObject({ update_id: 17, chat: 42 });
    expect(before.ticket).toBeUndefined();
    expect(after).toMatchObject({ update_id: 17, chat: 42, ticket: 9 });
    expect(job).toMatchObject({ job: 'ticket.sync', ticket: 9 });
    expect(outside).not.toHaveProperty('update_id');
    expect(outside).not.toHaveProperty('ticket');
  });

  it('keeps the token, the API key and the database password out of messages, objects and error stacks', () => {
    const log = capture();
    log.attach();
    log.nest.warn(`request to https://api.telegram.org/bot${TOKEN}/getMe failed`);
    log.nest.warn(`request to https://api.telegram.org/bot987654:AAAnother-token/getMe failed`);
    log.nest.error(`OpenAI said no to ${KEY}`);
    const error = new Error(`connect to postgres://helpdesk:db-password-42@db failed (${TOKEN})`);
    log.nest.error(error.message, error.stack);
    log.root.info({ config: { botToken: TOKEN, openaiApiKey: KEY }, apiKey: KEY }, 'the configuration');
    log.root.error({ err: error });

    const text = log.text();
    expect(log.lines()).toHaveLength(6);
    for (const secret of [TOKEN, KEY, 'db-password-42', 'AAAnother-token']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('writes readable lines with LOG_FORMAT=pretty and filters by LOG_LEVEL', () => {
    const log = capture({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'warn' });
    log.attach();
    log.nest.log('not shown');
    log.nest.warn('shown');
    expect(log.text()).not.toContain('not shown');
    expect(log.text()).toMatch(/WARN.*\[Spec\] shown/);
    expect(() => JSON.parse(log.text())).toThrow();
  });
});
