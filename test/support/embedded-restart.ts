/**
 * Run as its own Node process (the embedded server's package is ESM-only, which Jest's module loader
 * cannot import): starts the embedded PostgreSQL in a new data directory, stops it, leaves a stale
 * postmaster.pid naming a live process that is not PostgreSQL (this one), starts it again and queries
 * it; then kills that server (SIGKILL) and waits for its watchdog to start it again on the same URL.
 * Prints one JSON line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  const first = await startEmbeddedPostgres({ dataDir });
  await first.stop();
  writeFileSync(join(dataDir, 'postmaster.pid'), [String(process.pid), dataDir, '0', '5999', '', '127.0.0.1', '0 0', 'ready'].join('\n') + '\n');
  const warnings: string[] = [];
  const second = await startEmbeddedPostgres({ dataDir, warn: (line) => warnings.push(line), watchEveryMs: 200 });
  try {
    const query = async () => {
      const client = new Client({ connectionString: second.url });
      await client.connect();
      try {
        return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one === 1;
      } finally {
        await client.end();
      }
    };
    const answered = await query();
    const pidNow = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];

    process.kill(Number(pidNow), 'SIGKILL');
    let answeredAfterKill = false;
    for (const deadline = Date.now() + 30_000; !answeredAfterKill && Date.now() < deadline; ) {
      answeredAfterKill = await query().catch(() => false);
      if (!answeredAfterKill) await new Promise((r) => setTimeout(r, 200));
    }
    const pidAfterKill = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    process.stdout.write(
      JSON.stringify({
        answered,
        stalePidReplaced: pidNow !== String(process.pid),
        answeredAfterKill,
        newServer: pidAfterKill !== pidNow,
        warned: warnings.some((w) => w.includes('stopped; starting it again')),
      }) + '\n',
    );
  } finally {
    await second.stop();
  }
}

main().catch((error: Error) => {
  process.stdout.write(JSON.stringify({ error: error.message }) + '\n');
  process.exit(1);
});
