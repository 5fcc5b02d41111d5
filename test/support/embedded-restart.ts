/**
 * Run as its own Node process (the embedded server's package is ESM-only, which Jest's module loader
 * cannot import): starts the embedded PostgreSQL in a new data directory, stops it, leaves a stale
 * postmaster.pid naming a live process that is not PostgreSQL (this one), starts it again and queries
 * it. Prints one JSON line.
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
  const second = await startEmbeddedPostgres({ dataDir });
  try {
    const client = new Client({ connectionString: second.url });
    await client.connect();
    const { rows } = await client.query('SELECT 1 AS one');
    await client.end();
    const pidNow = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    process.stdout.write(JSON.stringify({ answered: rows[0].one === 1, stalePidReplaced: pidNow !== String(process.pid) }) + '\n');
  } finally {
    await second.stop();
  }
}

main().catch((error: Error) => {
  process.stdout.write(JSON.stringify({ error: error.message }) + '\n');
  process.exit(1);
});
