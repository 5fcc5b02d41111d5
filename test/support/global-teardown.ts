import { Client } from 'pg';
import { templateName, testDatabasePrefix } from './database';

export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    const run = process.env.HELPDESK_TEST_RUN ?? String(process.pid);
    const rows = await admin.query(`SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)`, [
      templateName(run),
      testDatabasePrefix(run),
    ]);
    for (const row of rows.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await (globalThis as { __embeddedDb?: { stop(): Promise<void> } }).__embeddedDb?.stop();
}
