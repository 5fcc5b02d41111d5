import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { migrateUnderLock } from './migrate';
import { AdvisoryLockRepository } from './repositories/advisory-lock.repository';
import { HealthRepository } from './repositories/health.repository';
import { TypeOrmLogger } from './typeorm-logger';
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
        // Its own: TypeORM's would print the parameters of a failed query, which are customers' texts.
        logger: new TypeOrmLogger(),
      }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        // The migrations run here under a lock, not in TypeORM's initialize(), which takes none.
        const dataSource = await new DataSource({ ...options!, migrationsRun: false }).initialize();
        if (options!.migrationsRun) {
          await migrateUnderLock(dataSource).catch(async (error: Error) => {
            await dataSource.destroy().catch(() => undefined);
            throw error;
          });
        }
        return dataSource;
      },
    }),
  ],
  providers: [AdvisoryLockRepository, HealthRepository, WorkLeaseRepository],
  exports: [AdvisoryLockRepository, HealthRepository, WorkLeaseRepository],
})
export class DatabaseModule {}

