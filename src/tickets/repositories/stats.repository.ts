import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { teamAnswer } from './ticket-message.repository';

/** The desk's numbers over a period (seconds for durations; null when there is nothing to measure). */
export interface DeskStats {
  open: number;
  waiting: number;
  opened: number;
  closed: number;
  firstAnswerMedianS: number | null;
  firstAnswerP90S: number | null;
  closeMedianS: number | null;
  ratingAverage: number | null;
  rated: number;
  /** Categories by tickets opened in the period, most first (at most three). */
  busiest: { category: string; subcategory: string | null; tickets: number }[];
}

/** Read-only figures for /stats, computed by PostgreSQL from tickets and their messages. */
@Injectable()
export class StatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One group's share of the desk: its open tickets, those waiting for the team, and those opened in the period. */
  async groupShare(groupId: number, seconds: number): Promise<{ open: number; waiting: number; opened: number }> {
    const [row]: { open: string; waiting: string; opened: string }[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'open') AS open,
              count(*) FILTER (WHERE status = 'open' AND last_speaker IS DISTINCT FROM 'agent') AS waiting,
              count(*) FILTER (WHERE created_at >= now() - make_interval(secs => $2)) AS opened
         FROM tickets WHERE group_id = $1`,
      [groupId, seconds],
    );
    return { open: Number(row.open), waiting: Number(row.waiting), opened: Number(row.opened) };
  }

  async since(seconds: number): Promise<DeskStats> {
    const [now]: { open: string; waiting: string }[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'open') AS open,
              count(*) FILTER (WHERE status = 'open' AND last_speaker IS DISTINCT FROM 'agent') AS waiting
         FROM tickets`,
    );
    const [period]: {
      opened: string;
      closed: string;
      first_median: number | null;
      first_p90: number | null;
      close_median: number | null;
      rating_avg: number | null;
      rated: string;
    }[] = await this.dataSource.query(
      `WITH p AS (SELECT now() - make_interval(secs => $1) AS start),
       opened AS (SELECT t.* FROM tickets t, p WHERE t.created_at >= p.start),
       first_answers AS (
         SELECT EXTRACT(EPOCH FROM (min(m.created_at) - o.created_at)) AS s
           FROM opened o JOIN ticket_messages m ON m.ticket_id = o.id AND ${teamAnswer('m')}
          GROUP BY o.id, o.created_at),
       closed AS (SELECT t.* FROM tickets t, p WHERE t.status = 'closed' AND t.closed_at >= p.start),
       rated AS (SELECT t.rating FROM tickets t, p WHERE t.rated_at >= p.start)
       SELECT (SELECT count(*) FROM opened) AS opened,
              (SELECT count(*) FROM closed) AS closed,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) FROM first_answers) AS first_median,
              (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM first_answers) AS first_p90,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (closed_at - created_at))) FROM closed) AS close_median,
              (SELECT avg(rating)::float FROM rated) AS rating_avg,
              (SELECT count(*) FROM rated) AS rated`,
      [seconds],
    );
    const busiest: { category: string; subcategory: string | null; tickets: string }[] = await this.dataSource.query(
      `SELECT category, subcategory, count(*) AS tickets FROM tickets
        WHERE created_at >= now() - make_interval(secs => $1)
        GROUP BY category, subcategory ORDER BY count(*) DESC, category, subcategory LIMIT 3`,
      [seconds],
    );
    const num = (v: number | string | null) => (v === null ? null : Number(v));
    return {
      open: Number(now.open),
      waiting: Number(now.waiting),
      opened: Number(period.opened),
      closed: Number(period.closed),
      firstAnswerMedianS: num(period.first_median),
      firstAnswerP90S: num(period.first_p90),
      closeMedianS: num(period.close_median),
      ratingAverage: num(period.rating_avg),
      rated: Number(period.rated),
      busiest: busiest.map((b) => ({ category: b.category, subcategory: b.subcategory, tickets: Number(b.tickets) })),
    };
  }
}
