import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The embedded PostgreSQL a fresh machine runs without DATABASE_URL. */
describe('embedded PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'helpdesk-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts although a stale postmaster.pid names a live process that is not PostgreSQL, and starts again when killed', () => {
    const script = join(__dirname, '../support/embedded-restart.ts');
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', script, dataDir], { encoding: 'utf8', timeout: 90_000 });
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(result).toEqual({ answered: true, stalePidReplaced: true, answeredAfterKill: true, newServer: true, warned: true });
  }, 100_000);
});
