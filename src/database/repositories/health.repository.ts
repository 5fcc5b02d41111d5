import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class HealthRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Resolves when the database answers a query. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
