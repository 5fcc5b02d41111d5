import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotApiEmulator } from '../src/sandbox/emulator';
import { createTestDatabase } from './support/database';

const root = join(__dirname, '..');

/** Runs src/main.ts in a clean directory (no .env, only `files`) with exactly the given environment. */
function runMain(env: Record<string, string>, files: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'helpdesk-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  const result = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), join(root, 'src/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(root, 'tsconfig.json'), CATEGORIES_FILE: join(root, 'catalog/categories.json'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ...result, cwd };
}

/**
 * A valid environment without DATABASE_URL: the embedded PostgreSQL would start in the run's directory
 * (data/postgres), so its absence shows that the start stopped before the database.
 */
const startable = { BOT_TOKEN: '123:abc', SUPPORT_CHAT_ID: '-1001234567890', TELEGRAM_API_ROOT: 'http://127.0.0.1:9', PORT: '0' };

function expectOneLineBeforeTheDatabase(result: ReturnType<typeof runMain>, line: RegExp) {
  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
  // Nothing else: no stack trace, no log of a start.
  expect(result.stdout).toBe('');
  expect(existsSync(join(result.cwd, 'data'))).toBe(false);
}

describe('configuration at startup', () => {
  it('stops with a non-zero code and one clear line when BOT_TOKEN is missing', () => {
    const result = runMain({ SUPPORT_CHAT_ID: '-1001234567890' });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration error: BOT_TOKEN is required/);
  });

  it('names every bad variable at once', () => {
    const result = runMain({ BOT_TOKEN: 'not-a-token', SUPPORT_CHAT_ID: '42' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('BOT_TOKEN does not look like a bot token');
    expect(result.stderr).toContain('SUPPORT_CHAT_ID must be a supergroup id');
  });

  it('stops with one line naming the place, before the database starts, when the category catalog is broken', () => {
    const result = runMain({ ...startable, CATEGORIES_FILE: 'categories.json' }, { 'categories.json': '{ "categories": [ { "id": "Bad Id" } ] }' });
    expectOneLineBeforeTheDatabase(result, /^Configuration error: .*categories\.json: categories\[0\] needs an "id" of 1-24 characters/);
  });

  it('stops the same way when the ready answers file is broken', () => {
    const result = runMain(
      { ...startable, READY_ANSWERS_FILE: 'answers.md' },
      { 'answers.md': '# Ready answers\n\n## hello\n### en\nHello!\n### de\nHallo!\n' },
    );
    expectOneLineBeforeTheDatabase(result, /^Configuration error: .*answers\.md:6: unknown language "de" \(use ru, en\)$/);
  });

  it('stops with a clear line when Telegram rejects the token', async () => {
    const emu = new BotApiEmulator({ token: '999:the-real-token' });
    await emu.start();
    const database = await createTestDatabase();
    try {
      const cwd = mkdtempSync(join(tmpdir(), 'helpdesk-config-'));
      const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), join(root, 'src/main.ts')], {
        cwd,
        env: {
          PATH: process.env.PATH ?? '',
          TS_NODE_PROJECT: join(root, 'tsconfig.json'),
          CATEGORIES_FILE: join(root, 'catalog/categories.json'),
          BOT_TOKEN: '123:a-revoked-token',
          SUPPORT_CHAT_ID: String(emu.supportChatId),
          TELEGRAM_API_ROOT: emu.apiRoot,
          DATABASE_URL: database.url,
          PORT: '0',
        },
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain('Telegram rejected the bot token (401 Unauthorized): check BOT_TOKEN');
    } finally {
      await emu.stop();
      await database.drop();
    }
  });
});
