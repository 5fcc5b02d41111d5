import { Injectable } from '@nestjs/common';
import type { Pool, QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * A sample not answered within this long is given up, on the client's side: statement_timeout is the
 * server's and never fires when the server (or the network to it) hangs, and a sample that waits
 * forever would leave the gauges frozen long after the database is back. Below the 5 s between samples.
 */
export const DESK_STATE_TIMEOUT_MS = 3000;

export interface DeskState {
  /** Customer messages waiting for their copy in the support group. */
  backlog: number;
  /** Age in seconds of the oldest of them (0 when none waits). */
  backlogOldestSeconds: number;
  ticketsOpen: number;
  /** Open tickets whose last message is the customer's. */
  ticketsWaiting: number;
  /** Jobs created or waiting for a retry, by queue. */
  jobsWaiting: Record<string, number>;
  /** The backlog and its oldest age per support group (groups with nothing waiting are absent). */
  byGroup: Record<string, { backlog: number; oldest: number }>;
}

/**
 * The numbers of the whole desk that the metrics report, read in one statement. It goes to the pool
 * directly, for pg's own read timeout: on a timeout pg-pool discards the connection instead of handing
 * a hung one to the next caller.
 */
@Injectable()
export class DeskStateRepository {
  constructor(private readonly dataSource: DataSource) {}

  async read(): Promise<DeskState> {
    // The pending partial index keeps the backlog cheap; open tickets are few, each looked up by its last message
    // (an automatic AI answer is the bot's own: the ticket still waits for the team).
    const [row]: {
      backlog: number;
      oldest: number;
      open: number;
      waiting: number;
      jobs: Record<string, number>;
      by_group: Record<string, { backlog: number; oldest: number }>;
    }[] = await this.query(
      `WITH pending AS (
         SELECT m.created_at, t.group_id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
          WHERE m.direction = 'customer' AND m.copied_at IS NULL AND m.failed_reason IS NULL
       )
       SELECT (SELECT count(*)::int FROM pending) AS backlog,
              (SELECT COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM pending) AS oldest,
              (SELECT count(*)::int FROM tickets WHERE status = 'open') AS open,
              (SELECT count(*)::int FROM tickets t WHERE t.status = 'open'
                  AND (SELECT m.direction FROM ticket_messages m WHERE m.ticket_id = t.id AND m.via <> 'ai-auto' ORDER BY m.id DESC LIMIT 1) = 'customer') AS waiting,
              (SELECT COALESCE(json_object_agg(name, n), '{}'::json)
                 FROM (SELECT name, count(*)::int AS n FROM pgboss.job WHERE state IN ('created', 'retry') GROUP BY name) j) AS jobs,
              (SELECT COALESCE(json_object_agg(group_id, json_build_object('backlog', n, 'oldest', oldest)), '{}'::json)
                 FROM (SELECT group_id, count(*)::int AS n, extract(epoch FROM now() - min(created_at))::float8 AS oldest
                         FROM pending GROUP BY group_id) g) AS by_group`,
    );
    return {
      backlog: row.backlog,
      backlogOldestSeconds: Math.max(0, row.oldest),
      ticketsOpen: row.open,
      ticketsWaiting: row.waiting,
      jobsWaiting: row.jobs,
      byGroup: row.by_group,
    };
  }

  private async query<T>(text: string): Promise<T[]> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    // pg reads query_timeout from a query's config; its type declarations do not list it.
    const config: QueryConfig & { query_timeout: number } = { text, query_timeout: DESK_STATE_TIMEOUT_MS };
    return (await pool.query(config)).rows as T[];
  }
}
