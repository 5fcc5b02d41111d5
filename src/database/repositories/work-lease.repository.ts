import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LeaseKind } from '../locks';
import { returning } from './rows';

/** A lease lasts this long unless renewed; a holder that died frees its work after at most this. */
const LEASE_S = 20;
const RENEW_EVERY_MS = 5000;

/**
 * The lease is held by someone else. Thrown to a job, it comes back when the lease would run out
 * (`deferForSeconds`, see JobQueue), so work whose holder died is not left waiting for the sweeper.
 */
export class LeaseTaken extends Error {
  constructor(readonly deferForSeconds: number) {
    super(`held by another worker for up to ${deferForSeconds} s`);
    this.name = 'LeaseTaken';
  }
}

/** `work_leases`: per-key serialisation of jobs without holding a connection across Bot API calls. */
@Injectable()
export class WorkLeaseRepository {
  private readonly logger = new Logger('Leases');

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` while holding the lease `(kind, key)`, renewing it as the work goes on, and again while
   * `hasMore`. A caller that finds the lease taken gets a LeaseTaken: the live holder picks up what
   * arrived meanwhile (it re-checks `hasMore`), and if the holder died the job returns when its lease has
   * run out.
   */
  async whileLeased(kind: LeaseKind, key: number, work: () => Promise<void>, hasMore: () => Promise<boolean>): Promise<void> {
    const holder = randomUUID();
    for (let round = 0; ; round++) {
      const left = await this.take(kind, key, holder);
      if (left !== null) {
        // Taken after a round of our own: the new holder has the rest.
        if (round > 0) return;
        throw new LeaseTaken(Math.max(1, Math.ceil(left)) + 1);
      }
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

  /** Takes the lease; null when taken, else the seconds left on the other holder's lease. */
  private async take(kind: LeaseKind, key: number, holder: string): Promise<number | null> {
    const rows = await this.dataSource.query(
      `INSERT INTO work_leases (kind, key, holder, until) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       ON CONFLICT (kind, key) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until WHERE work_leases.until < now()
       RETURNING holder`,
      [kind, key, holder, LEASE_S],
    );
    if (rows.length) return null;
    const [row]: { left: number }[] = await this.dataSource.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (until - now()))) AS left FROM work_leases WHERE kind = $1 AND key = $2`,
      [kind, key],
    );
    return Number(row?.left ?? 0);
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
