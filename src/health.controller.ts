import { Controller, Get } from '@nestjs/common';
import { HealthRepository } from './database/repositories/health.repository';

/** For load balancers and container health checks: the process is up and the database answers. */
@Controller('health')
export class HealthController {
  constructor(private readonly database: HealthRepository) {}

  @Get()
  async check(): Promise<{ status: 'ok' }> {
    await this.database.ping();
    return { status: 'ok' };
  }
}
