import { Controller, Get } from '@nestjs/common';
import { HealthRepository } from './database/repositories/health.repository';
import { GroupAccess, GroupAccessState } from './forum/group-access.service';

/**
 * For load balancers and container health checks, answered within a second: the process is up and the
 * database answers (an error when it cannot be reached; "slow" when it did not answer in time). Lost
 * access to the support group is reported (the instance itself is fine, and replacing it would not help).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: HealthRepository,
    private readonly groupAccess: GroupAccess,
  ) {}

  @Get()
  async check(): Promise<{ status: 'ok' | 'degraded'; database: 'ok' | 'slow'; supportGroup: GroupAccessState }> {
    const database = await this.database.ping();
    const supportGroup = this.groupAccess.state;
    return { status: supportGroup.ok && database === 'ok' ? 'ok' : 'degraded', database, supportGroup };
  }
}
