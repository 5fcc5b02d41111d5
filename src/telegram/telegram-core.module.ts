import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsModule } from '../metrics/metrics.module';
import { SendScheduler } from './send-scheduler';
import { I18n } from './i18n/i18n.service';
import { SupportGroups } from './support-groups';
import { TelegramGateway } from './telegram.gateway';
import { UpdatePipeline } from './update-pipeline';

/** The outbound gateway, the texts, and the update pipeline: what the feature modules import to talk to Telegram. */
@Module({
  imports: [MetricsModule],
  providers: [
    { provide: SendScheduler, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SendScheduler(config.rateLimits) },
    TelegramGateway,
    I18n,
    UpdatePipeline,
    SupportGroups,
  ],
  exports: [TelegramGateway, SendScheduler, I18n, UpdatePipeline, SupportGroups],
})
export class TelegramCoreModule {}
