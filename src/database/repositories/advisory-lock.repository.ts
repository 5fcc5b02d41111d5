import { Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { LockNamespace } from '../advisory-locks';

/** A session lock held on its own connection until released (or until the process dies). */
export interface HeldLock {
  /** Tries to take the lock; true when this session holds it. */
  tryTake(): Promise<boolean>;
  /** Whether this session still holds it; throws when the connection is gone. */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** Session advisory locks: across workers and instances; PostgreSQL releases a dead process's locks. */
@Injectable()
export class AdvisoryLockRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` while holding the lock `(namespace, key)`. A caller that finds it taken leaves at once:
   * the holder re-checks `hasMore` after releasing it, so work that arrived meanwhile is never stranded.
   */
  async whileHeld(namespace: LockNamespace, key: number, work: () => Promise<void>, hasMore: () => Promise<boolean>): Promise<void> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    const lockKey = key % 2_147_483_647;
    await runner.connect();
    try {
      for (;;) {
        const [row] = await runner.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [namespace, lockKey]);
        if (row.locked !== true) return;
        try {
          await work();
        } finally {
          await runner.query('SELECT pg_advisory_unlock($1, $2)', [namespace, lockKey]);
        }
        if (!(await hasMore())) return;
      }
    } finally {
      await runner.release();
    }
  }

  /** A lock kept for a long time on a connection of its own (polling leadership). */
  async session(namespace: LockNamespace, key = 0): Promise<HeldLock> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    return {
      tryTake: async () => {
        const [row] = await runner.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [namespace, key]);
        return row.locked === true;
      },
      isHeld: async () => {
        const [row] = await runner.query(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2
                            AND pid = pg_backend_pid() AND granted) AS held`,
          [namespace, key],
        );
        return row.held === true;
      },
      release: () => runner.release(),
    };
  }
}
