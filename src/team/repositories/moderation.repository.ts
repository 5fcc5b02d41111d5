import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface Ban {
  customerId: number;
  until: Date | null;
  reason: string | null;
  bannedBy: string;
}

/** `customer_bans` and the per-customer limits of intake. A ban past its `until` counts as none. */
@Injectable()
export class ModerationRepository {
  constructor(private readonly dataSource: DataSource) {}

  async ban(ban: Ban, db: EntityManager = this.dataSource.manager): Promise<void> {
    await db.query(
      `INSERT INTO customer_bans (customer_id, until, reason, banned_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (customer_id) DO UPDATE SET until = $2, reason = $3, banned_by = $4, created_at = now(), told_at = NULL`,
      [ban.customerId, ban.until, ban.reason, ban.bannedBy],
    );
  }

  /** Lifts a ban in force; false when there was none. */
  async unban(customerId: number, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result = (await db.query(`DELETE FROM customer_bans WHERE customer_id = $1 AND (until IS NULL OR until > now()) RETURNING customer_id`, [
      customerId,
    ])) as [unknown[], number];
    return result[0].length > 0;
  }

  /** The customers under a ban in force now (BanScreen keeps this list for a moment). */
  async bannedNow(): Promise<number[]> {
    const rows: { customer_id: string }[] = await this.dataSource.query(`SELECT customer_id FROM customer_bans WHERE until IS NULL OR until > now()`);
    return rows.map((row) => Number(row.customer_id));
  }

  /**
   * A message of a banned customer: 'tell' the first time after the ban (one polite answer), 'silent'
   * afterwards, 'free' when no ban is in force.
   */
  async screen(customerId: number): Promise<'free' | 'tell' | 'silent'> {
    const rows: { told: boolean }[] = await this.dataSource.query(
      `WITH active AS (SELECT customer_id, told_at FROM customer_bans WHERE customer_id = $1 AND (until IS NULL OR until > now())),
            told AS (UPDATE customer_bans b SET told_at = now() FROM active a WHERE b.customer_id = a.customer_id AND a.told_at IS NULL RETURNING b.customer_id)
       SELECT EXISTS (SELECT 1 FROM told) AS told FROM active`,
      [customerId],
    );
    if (!rows.length) return 'free';
    return rows[0].told ? 'tell' : 'silent';
  }
}
