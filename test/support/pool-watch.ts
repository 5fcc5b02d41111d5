import { INestApplication } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { PgBossJobQueue } from '../../src/jobs/pg-boss.driver';

/** What one pool went through: the most connections open at once, and how long callers waited for one. */
export interface PoolUse {
  peakOpen: number;
  /** Acquisitions that got a connection (or failed to). */
  acquired: number;
  /** Acquisitions that gave up (pg's "timeout exceeded when trying to connect"). */
  failed: number;
  waitsMs: number[];
}

/**
 * Watches an in-process app's two pools (the app's and pg-boss's) by wrapping their `connect`, which
 * every query of either goes through: a surge test can tell how long work waited for a connection.
 */
export function watchPools(app: INestApplication): { app: PoolUse; jobs: PoolUse; stop(): void } {
  const appPool = (app.get(DataSource).driver as unknown as { master: Pool }).master;
  const jobsPool = (app.get(PgBossJobQueue) as unknown as { boss: { getDb(): { pool: Pool } } }).boss.getDb().pool;
  const undo: (() => void)[] = [];
  const watch = (pool: Pool): PoolUse => {
    const use: PoolUse = { peakOpen: 0, acquired: 0, failed: 0, waitsMs: [] };
    const original = pool.connect;
    const settle = (started: number, error: unknown) => {
      use.acquired++;
      if (error) use.failed++;
      use.waitsMs.push(performance.now() - started);
      use.peakOpen = Math.max(use.peakOpen, pool.totalCount);
    };
    type Callback = (error: Error | undefined, client: PoolClient | undefined, release: () => void) => void;
    pool.connect = function (this: Pool, callback?: Callback) {
      const started = performance.now();
      if (callback) {
        return (original as (cb: Callback) => void).call(this, (error, client, release) => {
          settle(started, error);
          callback(error, client, release);
        });
      }
      return (original as () => Promise<PoolClient>).call(this).then(
        (client) => {
          settle(started, undefined);
          return client;
        },
        (error: Error) => {
          settle(started, error);
          throw error;
        },
      );
    } as Pool['connect'];
    undo.push(() => (pool.connect = original));
    return use;
  };
  return { app: watch(appPool), jobs: watch(jobsPool), stop: () => undo.forEach((f) => f()) };
}

/** "p50 1 ms, p99 12 ms, max 40 ms over 5000": a pool's waits for the log. */
export function describeWaits(use: PoolUse): string {
  const sorted = [...use.waitsMs].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return `peak ${use.peakOpen} open, waits p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms over ${sorted.length}${use.failed ? `, ${use.failed} timed out` : ''}`;
}
