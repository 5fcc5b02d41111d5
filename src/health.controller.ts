import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { GroupAccess, GroupAccessState } from './forum/group-access.service';
import { DatabaseState, Readiness, ReadinessService } from './operations/readiness.service';

/**
 * `/health` is liveness, for container health checks: 200 whenever the process serves, with what it
 * knows (the database, the support group); restarting the process would fix neither. `/ready` is
 * readiness, for deploy gates, load balancers and alerts: 200 when this instance can do its work, else
 * 503 naming what is wrong. Both answer within a second, the database hanging or not.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly groupAccess: GroupAccess,
  ) {}

  @Get('health')
  @HttpCode(200)
  async health(): Promise<{ status: 'ok' | 'degraded'; database: DatabaseState; supportGroup: GroupAccessState }> {
    const { state: database } = await this.readiness.databaseState();
    const supportGroup = this.groupAccess.state;
    return { status: supportGroup.ok && database === 'ok' ? 'ok' : 'degraded', database, supportGroup };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const readiness: Readiness = await this.readiness.check();
    res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  }
}
