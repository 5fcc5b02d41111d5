import { DataSource } from 'typeorm';
import { LOCKS } from './locks';

/**
 * Runs the pending migrations while holding an advisory lock: instances started together on an empty
 * database would otherwise both create the schema and one would fail its start (TypeORM's own
 * `migrationsRun` takes no lock). The lock is a session lock on its own pooled connection; the migration
 * runner takes another (DB_POOL_SIZE is at least 2). Returns the names of the migrations this call ran.
 */
export async function migrateUnderLock(dataSource: DataSource): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1, 0)', [LOCKS.migrations]);
    try {
      return (await dataSource.runMigrations()).map((migration) => migration.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1, 0)', [LOCKS.migrations]);
    }
  } finally {
    await lock.release();
  }
}
