import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrateUnderLock } from '../../src/database/migrate';
import { migrations } from '../../src/database/migrations';
import { createTestDatabase } from '../support/database';

/** Instances started together on a new, empty database. */
describe('migrations', () => {
  it('run once when three instances start together on an empty database, and none of them fails', async () => {
    const database = await createTestDatabase({ empty: true });
    const sources = [1, 2, 3].map(() => new DataSource(dataSourceOptions(database.url, 2)));
    try {
      await Promise.all(sources.map((source) => source.initialize()));
      const ran = await Promise.all(sources.map((source) => migrateUnderLock(source)));

      // One instance ran every migration, the others found nothing left to do.
      expect(ran.map((names) => names.length).sort()).toEqual([0, 0, migrations.length]);
      const applied: { name: string }[] = await sources[0].query(`SELECT name FROM migrations ORDER BY id`);
      expect(applied).toHaveLength(migrations.length);
      expect(new Set(applied.map((row) => row.name)).size).toBe(migrations.length);
      expect(await sources[1].query(`SELECT count(*)::int AS n FROM tickets`)).toEqual([{ n: 0 }]);
      // The lock was given back.
      expect(await sources[2].query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 7303`)).toEqual([{ n: 0 }]);
    } finally {
      await Promise.all(sources.filter((source) => source.isInitialized).map((source) => source.destroy()));
      await database.drop();
    }
  }, 60_000);
});
