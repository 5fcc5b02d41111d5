import { join } from 'node:path';
import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { isStale, templateName, withDatabase } from './database';

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
  process.env.HELPDESK_TEST_RUN = String(process.pid);
  const template = templateName(process.env.HELPDESK_TEST_RUN);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Databases of earlier runs that were interrupted; those of a run still going are left alone.
    const existing = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'helpdesk\_t%'`);
    for (const row of existing.rows) if (isStale(row.datname)) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = withDatabase(adminUrl, template);
  const dataSource = new DataSource(dataSourceOptions(templateUrl));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  const boss = new PgBoss({ connectionString: templateUrl, schema: 'pgboss', supervise: false, schedule: false });
  await boss.start();
  await boss.stop({ graceful: false, wait: true });
}
