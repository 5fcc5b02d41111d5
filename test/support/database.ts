import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Every test run has its own template and test databases, named after the run (the Jest main process's
 * pid), so two runs on one server never drop each other's databases.
 */
export function runId(): string {
  const id = process.env.HELPDESK_TEST_RUN;
  if (!id) throw new Error('HELPDESK_TEST_RUN is not set: run the tests through jest (globalSetup sets it)');
  return id;
}

export const templateName = (run: string) => `helpdesk_tpl_${run}`;
export const testDatabasePrefix = (run: string) => `helpdesk_t_${run}_`;

/** Databases of runs whose Jest process is gone (killed, crashed): safe to drop. */
export function isStale(database: string): boolean {
  const match = /^helpdesk_(?:tpl|t)_(\d+)(?:_|$)/.exec(database);
  if (!match) return false;
  try {
    process.kill(Number(match[1]), 0);
    return false;
  } catch {
    return true;
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database cloned from the migrated template: fast, and isolated from every other test. With
 * `empty`, a database without the schema (as an operator's new server has).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is not set: run the tests through jest (globalSetup provides it)');
  const run = runId();
  const name = `${testDatabasePrefix(run)}${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(options.empty ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE "${templateName(run)}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * One query on a connection of its own, closed after: for tests whose apps are other processes (and
 * may be killed), so no pool of the test's outlives a database they drop or restart.
 */
export async function queryOnce<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
