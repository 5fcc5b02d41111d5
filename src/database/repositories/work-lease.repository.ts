import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LeaseKind } from '../locks';
import { returning } from './rows';

/** A lease lasts this long unless renewed; a holder that died frees its work after at most this. */
const LEASE_S = 20;
const RENEW_EVERY_MS = 5000;

/** `work_leases`: per-key serialisation of jobs without holding a connection across Bot API calls. */
@Injectable()
export class WorkLeaseRepository {
  private readonly logger = new Logger('Leases');

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` while holding the lease `(kind, key)`, renewing it as the work goes on. A caller that
   * finds the lease taken leaves at once: the holder re-checks `hasMore` after each round, so work that
   * arrived meanwhile is never stranded (and if the holder died, the sweeper comes back after its lease ran out).
   */
  async whileLeased(kind: LeaseKind, key: number, work: () => Promise<void>, hasMore: () => Promise<boolean>): Promise<void> {
    const holder = randomUUID();
    for (;;) {
      if (!(await this.take(kind, key, holder))) return;
      const renewal = setInterval(() => void this.renew(kind, key, holder), RENEW_EVERY_MS);
      try {
        await work();
      } finally {
        clearInterval(renewal);
        await this.release(kind, key, holder).catch((error: Error) => this.logger.debug(`${kind} ${key}: release failed (${error.message}); it runs out`));
      }
      if (!(await hasMore())) return;
    }
  }

  private async take(kind: LeaseKind, key: number, holder: string): Promise<boolean> {
    const rows = await this.dataSource.query(
      `INSERT INTO work_leases (kind, key, holder, until) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       ON CONFLICT (kind, key) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until WHERE work_leases.until < now()
       RETURNING holder`,
      [kind, key, holder, LEASE_S],
    );
    return rows.length > 0;
  }

  private async renew(kind: LeaseKind, key: number, holder: string): Promise<void> {
    try {
      const rows = await returning(
        this.dataSource.manager,
        `UPDATE work_leases SET until = now() + make_interval(secs => $4) WHERE kind = $1 AND key = $2 AND holder = $3 RETURNING key`,
        [kind, key, holder, LEASE_S],
      );
      if (!rows.length) this.logger.warn(`${kind} ${key}: the lease ran out while the work went on (the database was away?)`);
    } catch (error) {
      this.logger.debug(`${kind} ${key}: renewal failed (${(error as Error).message}); trying again`);
    }
  }

  private async release(kind: LeaseKind, key: number, holder: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM work_leases WHERE kind = $1 AND key = $2 AND holder = $3`, [kind, key, holder]);
  }
}
