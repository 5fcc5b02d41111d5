import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsModule } from '../metrics/metrics.module';
import { InboxRepository } from './repositories/inbox.repository';
import { SendScheduler } from './send-scheduler';
import { I18n } from './i18n/i18n.service';
import { SupportGroups } from './support-groups';
import { TelegramGateway } from './telegram.gateway';
import { UpdatePipeline } from './update-pipeline';

/**
 * The outbound gateway, the texts, the update pipeline and the inbox's table: what the feature modules
 * import to talk to Telegram (an album's copy asks the inbox whether more of its items are on the way).
 */
@Module({
  imports: [MetricsModule],
  providers: [
    { provide: SendScheduler, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SendScheduler(config.rateLimits) },
    TelegramGateway,
    I18n,
    UpdatePipeline,
    SupportGroups,
    InboxRepository,
  ],
  exports: [TelegramGateway, SendScheduler, I18n, UpdatePipeline, SupportGroups, InboxRepository],
})
export class TelegramCoreModule {}
