import { Global, Module } from '@nestjs/common';
import { JobQueue } from './job-queue';
import { PgBossJobQueue } from './pg-boss.driver';

@Global()
@Module({
  providers: [PgBossJobQueue, { provide: JobQueue, useExisting: PgBossJobQueue }],
  exports: [JobQueue, PgBossJobQueue],
})
export class JobsModule {}
