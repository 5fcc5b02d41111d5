import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseModule } from '../database/database.module';
import { ForumModule } from '../forum/forum.module';
import { MetricsModule } from '../metrics/metrics.module';
import { Metrics } from '../metrics/metrics.service';
import { TelegramCoreModule } from '../telegram/telegram-core.module';
import { TicketsModule } from '../tickets/tickets.module';
import { DeskStateSampler } from './desk-state.sampler';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';
import { ReadinessService } from './readiness.service';
import { DeskStateRepository } from './repositories/desk-state.repository';
import { RetentionRepository } from './repositories/retention.repository';
import { RetentionService } from './retention.service';

/**
 * What an operator watches: `/metrics` (on the app's port, on METRICS_PORT, or off) with the desk's
 * numbers sampled from the database, the readiness behind `/ready`, and the deletion of old data.
 */
@Module({})
export class OperationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { enabled, port } = config.metrics;
    const providers: Provider[] = [DeskStateRepository, DeskStateSampler, ReadinessService, RetentionRepository, RetentionService];
    const controllers: Type[] = [];
    if (enabled && port === null) controllers.push(MetricsController);
    if (enabled && port !== null) providers.push(MetricsServer);
    if (enabled) providers.push({ provide: 'PROCESS_METRICS', inject: [Metrics], useFactory: (metrics: Metrics) => metrics.collectProcessMetrics() });
    return {
      module: OperationsModule,
      imports: [DatabaseModule, ForumModule, TelegramCoreModule, TicketsModule, MetricsModule],
      controllers,
      providers,
      exports: [ReadinessService],
    };
  }
}
