import { resolve } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';

export type DatabaseKind = 'server' | 'embedded';

/** One empty database of the run: the app (or a comparison bot) of one scenario works in it. */
export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** The PostgreSQL server the benchmark runs on, and the scratch databases it creates there. */
export interface BenchDatabase {
  kind: DatabaseKind;
  /** `SELECT version()`, for the report: numbers of different PostgreSQL versions are not comparable. */
  version: string;
  /** `SHOW max_connections`, for the report. */
  maxConnections: number;
  /** A new empty database; the app runs its migrations into it at boot. */
  create(label: string): Promise<ScratchDatabase>;
  /** Drops what is left of this run's databases; stops the embedded server. */
  release(): Promise<void>;
}

const EMBEDDED_DIR = 'data/bench-postgres';
/** `helpdesk_bench_<pid>_<n>_<label>`: the pid tells which databases belong to a run that is gone. */
const PREFIX = 'helpdesk_bench_';

export function withDatabase(url: string, database: string): string {
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every scenario starts from an empty database: the emulator numbers users and updates from the same
 * values on every start, so rows of an earlier scenario would make the app treat new updates as
 * duplicates and new customers as having open tickets.
 */
export async function provisionDatabase(repoRoot: string): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (serverUrl) return onServer(serverUrl, 'server', async () => undefined);
  const server = await startEmbeddedPostgres({ dataDir: resolve(repoRoot, EMBEDDED_DIR), database: 'postgres' });
  try {
    return await onServer(withDatabase(server.url, 'postgres'), 'embedded', () => server.stop());
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function onServer(adminUrl: string, kind: DatabaseKind, stop: () => Promise<void>): Promise<BenchDatabase> {
  const { version, maxConnections } = await withClient(adminUrl, async (admin) => {
    // Databases of earlier runs that were killed before their teardown (their process is gone).
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${PREFIX}%`]);
    for (const { datname } of rows) {
      const pid = Number(/^helpdesk_bench_(\d+)_/.exec(datname)?.[1]);
      if (pid && !isAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    const v = (await admin.query<{ version: string }>('SELECT version()')).rows[0].version;
    const m = (await admin.query<{ max_connections: string }>('SHOW max_connections')).rows[0].max_connections;
    return { version: v, maxConnections: Number(m) };
  });
  const live = new Set<string>();
  let counter = 0;
  const drop = async (name: string) => {
    await withClient(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    live.delete(name);
  };
  return {
    kind,
    version,
    maxConnections,
    create: async (label) => {
      const name = `${PREFIX}${process.pid}_${++counter}_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`.slice(0, 63);
      await withClient(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`));
      live.add(name);
      return { name, url: withDatabase(adminUrl, name), drop: () => drop(name) };
    },
    release: async () => {
      try {
        for (const name of [...live]) await drop(name);
      } finally {
        await stop();
      }
    },
  };
}
