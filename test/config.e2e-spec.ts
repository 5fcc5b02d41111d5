import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** Runs src/main.ts in a clean directory (no .env) with exactly the given environment. */
function runMain(env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'helpdesk-config-'));
  return spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), join(root, 'src/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(root, 'tsconfig.json'), CATEGORIES_FILE: join(root, 'catalog/categories.json'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
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
});
