import { Module } from '@nestjs/common';
import { TelegrafModule } from 'nestjs-telegraf';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatabaseModule } from '../database/database.module';
import { MetricsModule } from '../metrics/metrics.module';
import { BotRunner } from './bot-runner.service';
import { TelegramCoreModule } from './telegram-core.module';
import { BudgetRepository } from './repositories/budget.repository';
import { SharedBudget } from './shared-budget.service';
import { UpdateInbox } from './update-inbox.service';
import { UpdatePipeline } from './update-pipeline';

/** The Telegraf wiring: the bot instance, its first middleware, and when it takes updates. */
@Module({
  imports: [
    DatabaseModule,
    MetricsModule,
    TelegramCoreModule,
    TelegrafModule.forRootAsync({
      imports: [TelegramCoreModule],
      inject: [APP_CONFIG, UpdatePipeline],
      useFactory: (config: AppConfig, pipeline: UpdatePipeline) => ({
        token: config.botToken,
        launchOptions: false,
        middlewares: [pipeline.middleware],
        options: { telegram: { apiRoot: config.telegramApiRoot, webhookReply: false }, handlerTimeout: Infinity },
      }),
    }),
  ],
  providers: [UpdateInbox, BotRunner, BudgetRepository, SharedBudget],
  exports: [BotRunner],
})
export class TelegramModule {}
