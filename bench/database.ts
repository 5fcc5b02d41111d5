import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';

export type DatabaseKind = 'server' | 'embedded';

export interface BenchDatabase {
  kind: DatabaseKind;
  /** The database the app uses (empty: the app runs its migrations into it at boot). */
  url: string;
  name: string;
  /** `SELECT version()`, for the report: numbers of different PostgreSQL versions are not comparable. */
  version: string;
  release(): Promise<void>;
}

const EMBEDDED_DIR = 'data/bench-postgres';
const EMBEDDED_DB = 'helpdesk_bench';
const SERVER_PREFIX = 'helpdesk_bench_';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The database the benchmark runs on, always empty at the start: the emulator numbers users and updates
 * from the same values on every run, so rows left from an earlier run would make the app treat the new
 * run's updates as duplicates and its customers as having open tickets.
 */
export async function provisionDatabase(repoRoot: string): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  return serverUrl ? onServer(serverUrl) : embedded(repoRoot);
}

/** A fresh `helpdesk_bench_<random>` on the given server, dropped at the end. */
async function onServer(adminUrl: string): Promise<BenchDatabase> {
  const name = `${SERVER_PREFIX}${randomBytes(4).toString('hex')}`;
  const version = await withClient(adminUrl, async (admin) => {
    // Databases of earlier runs that were killed before their teardown; ones in use are left alone.
    const stale = await admin.query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d
        WHERE d.datname LIKE $1 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
      [`${SERVER_PREFIX}%`],
    );
    for (const row of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}"`);
    await admin.query(`CREATE DATABASE "${name}"`);
    return (await admin.query<{ version: string }>('SELECT version()')).rows[0].version;
  });
  return {
    kind: 'server',
    url: withDatabase(adminUrl, name),
    name,
    version,
    release: () => withClient(adminUrl, async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

/**
 * The embedded PostgreSQL in `data/bench-postgres` (apart from the app's and the tests' data), with
 * `helpdesk_bench` recreated empty. The database is kept after the run for inspection; the server stops.
 */
async function embedded(repoRoot: string): Promise<BenchDatabase> {
  const server = await startEmbeddedPostgres({ dataDir: resolve(repoRoot, EMBEDDED_DIR), database: EMBEDDED_DB });
  try {
    const version = await withClient(withDatabase(server.url, 'postgres'), async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS "${EMBEDDED_DB}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${EMBEDDED_DB}"`);
      return (await admin.query<{ version: string }>('SELECT version()')).rows[0].version;
    });
    return { kind: 'embedded', url: server.url, name: EMBEDDED_DB, version, release: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
