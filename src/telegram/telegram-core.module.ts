import { Module } from '@nestjs/common';
import { I18n } from './i18n/i18n.service';
import { TelegramGateway } from './telegram.gateway';
import { UpdatePipeline } from './update-pipeline';

/** The outbound gateway, the texts, and the update pipeline: what the feature modules import to talk to Telegram. */
@Module({
  providers: [TelegramGateway, I18n, UpdatePipeline],
  exports: [TelegramGateway, I18n, UpdatePipeline],
})
export class TelegramCoreModule {}
