import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** `ticket_notices`: which notices of a ticket's lifecycle went out, per occurrence. */
@Injectable()
export class TicketNoticeRepository {
  constructor(private readonly dataSource: DataSource) {}

  async wasSent(ticketId: number, occurrence: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ticket_notices WHERE ticket_id = $1 AND occurrence = $2`, [ticketId, occurrence]);
    return rows.length > 0;
  }

  async recordSent(ticketId: number, occurrence: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO ticket_notices (ticket_id, occurrence) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [ticketId, occurrence]);
  }
}
