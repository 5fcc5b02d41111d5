import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** `telegram_updates`: one row per Telegram update handled (Telegram delivers at least once). */
@Injectable()
export class UpdateClaimRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records the update; false when it was handled before. Called first in the transaction of whatever
   * the update changes, so "handled" and "its effects" commit together.
   */
  async claim(updateId: number, kind: string, db: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows: unknown[] = await db.query(
      `INSERT INTO telegram_updates (update_id, kind) VALUES ($1, $2) ON CONFLICT (update_id) DO NOTHING RETURNING update_id`,
      [updateId, kind],
    );
    return rows.length > 0;
  }
}
