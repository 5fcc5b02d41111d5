import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { I18n } from './i18n/i18n.service';
import { SupportGroups } from './support-groups';
import { TelegramGateway } from './telegram.gateway';
import { UpdatePipeline } from './update-pipeline';

/** The outbound gateway, the texts, and the update pipeline: what the feature modules import to talk to Telegram. */
@Module({
  imports: [MetricsModule],
  providers: [TelegramGateway, I18n, UpdatePipeline, SupportGroups],
  exports: [TelegramGateway, I18n, UpdatePipeline, SupportGroups],
})
export class TelegramCoreModule {}
