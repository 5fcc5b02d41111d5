import { DataSource, QueryRunner } from 'typeorm';

/** Advisory-lock namespaces: one per kind of per-ticket work that must not run twice at once. */
export const LOCKS = { sync: 7301, deliver: 7303 } as const;

/**
 * Runs `work` for a ticket while holding a session advisory lock, across workers and instances (a
 * dead process's lock is released by PostgreSQL). A caller that finds the lock taken leaves at once:
 * the holder re-checks `hasMore` after releasing it, so work that arrived meanwhile is never stranded.
 */
export async function withTicketLock(
  dataSource: DataSource,
  namespace: number,
  ticketId: number,
  work: () => Promise<void>,
  hasMore: () => Promise<boolean>,
): Promise<void> {
  const runner: QueryRunner = dataSource.createQueryRunner();
  const key = ticketId % 2_147_483_647;
  await runner.connect();
  try {
    for (;;) {
      const [row] = await runner.query('SELECT pg_try_advisory_lock($1, $2) AS locked', [namespace, key]);
      if (row.locked !== true) return;
      try {
        await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1, $2)', [namespace, key]);
      }
      if (!(await hasMore())) return;
    }
  } finally {
    await runner.release();
  }
}

/** Album items arrive as separate updates; their copies wait until no new item came for this long. */
export const ALBUM_SETTLE_MS = 700;

/** Splits messages into runs: consecutive items of one album together, every other message alone. */
export function albumRuns<T extends { mediaGroupId: string | null }>(messages: T[]): T[][] {
  const runs: T[][] = [];
  for (const message of messages) {
    const last = runs.at(-1);
    if (last && message.mediaGroupId && last[0].mediaGroupId === message.mediaGroupId) last.push(message);
    else runs.push([message]);
  }
  return runs;
}
