import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** For load balancers and container health checks: the process is up and the database answers. */
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async check(): Promise<{ status: 'ok' }> {
    await this.dataSource.query('SELECT 1');
    return { status: 'ok' };
  }
}
