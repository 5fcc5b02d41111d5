import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

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

/** The numbers of the whole desk that the metrics report, read in one statement. */
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
    }[] = await this.dataSource.query(
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
}
