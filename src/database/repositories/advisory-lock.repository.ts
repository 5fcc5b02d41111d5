import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LockNamespace } from '../locks';

/** A session lock held on its own connection until released (or until the process dies). */
export interface HeldLock {
  /** Tries to take the lock; true when this session holds it. */
  tryTake(): Promise<boolean>;
  /** Whether this session still holds it; throws when the connection is gone. */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** Session advisory locks: across instances; PostgreSQL releases a dead process's locks (and a dropped connection's). */
@Injectable()
export class AdvisoryLockRepository {
  constructor(private readonly dataSource: DataSource) {}

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
