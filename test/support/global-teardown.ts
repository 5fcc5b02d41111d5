import { Client } from 'pg';
import { TEMPLATE_DB } from './database';

export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    const rows = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'helpdesk_t_%' OR datname = $1`, [TEMPLATE_DB]);
    for (const row of rows.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await (globalThis as { __embeddedDb?: { stop(): Promise<void> } }).__embeddedDb?.stop();
}
