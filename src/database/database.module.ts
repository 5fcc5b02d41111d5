import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { AdvisoryLockRepository } from './repositories/advisory-lock.repository';
import { HealthRepository } from './repositories/health.repository';
import { WorkLeaseRepository } from './repositories/work-lease.repository';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.databaseUrl, config.dbPoolSize),
        migrationsRun: !config.skipMigrations,
        // Fail fast with a clear error instead of TypeORM's default 9 retries × 3 s.
        retryAttempts: 2,
        retryDelay: 1000,
        logging: ['error', 'migration'],
      }),
    }),
  ],
  providers: [AdvisoryLockRepository, HealthRepository, WorkLeaseRepository],
  exports: [AdvisoryLockRepository, HealthRepository, WorkLeaseRepository],
})
export class DatabaseModule {}
