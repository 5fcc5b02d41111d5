import { Global, Module } from '@nestjs/common';
import { JobQueue } from './job-queue';
import { PgBossJobQueue } from './pg-boss.driver';
import { UnitOfWork } from './unit-of-work';

@Global()
@Module({
  providers: [PgBossJobQueue, { provide: JobQueue, useExisting: PgBossJobQueue }, UnitOfWork],
  exports: [JobQueue, PgBossJobQueue, UnitOfWork],
})
export class JobsModule {}
