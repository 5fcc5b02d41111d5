import { join } from 'node:path';
import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { TEMPLATE_DB, withDatabase } from './database';

/**
 * Once per test run: a PostgreSQL (the server in DATABASE_URL, or an embedded one when it is unset),
 * and a template database with every migration and the pg-boss schema, which each test file clones.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    const embedded = await startEmbeddedPostgres({ dataDir: join(__dirname, '../../data/test-postgres'), database: 'postgres' });
    process.env.DATABASE_URL = embedded.url;
    (globalThis as { __embeddedDb?: { stop(): Promise<void> } }).__embeddedDb = embedded;
  }
  const adminUrl = process.env.DATABASE_URL;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Test databases of an earlier, interrupted run.
    const stale = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'helpdesk_t_%' OR datname = $1`, [TEMPLATE_DB]);
    for (const row of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
  const dataSource = new DataSource(dataSourceOptions(templateUrl));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  const boss = new PgBoss({ connectionString: templateUrl, schema: 'pgboss', supervise: false, schedule: false });
  await boss.start();
  await boss.stop({ graceful: false, wait: true });
}
