import { Controller, Get } from '@nestjs/common';
import { HealthRepository } from './database/repositories/health.repository';
import { GroupAccess, GroupAccessState } from './forum/group-access.service';

/**
 * For load balancers and container health checks: the process is up and the database answers. Lost
 * access to the support group is reported (the instance itself is fine, and replacing it would not help).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: HealthRepository,
    private readonly groupAccess: GroupAccess,
  ) {}

  @Get()
  async check(): Promise<{ status: 'ok' | 'degraded'; supportGroup: GroupAccessState }> {
    await this.database.ping();
    const supportGroup = this.groupAccess.state;
    return { status: supportGroup.ok ? 'ok' : 'degraded', supportGroup };
  }
}
