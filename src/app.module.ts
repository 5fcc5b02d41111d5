import { BeforeApplicationShutdown, DynamicModule, Injectable, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { AiModule } from './ai/ai.module';
import { AutoCloseModule } from './auto-close/auto-close.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ForumModule } from './forum/forum.module';
import { HealthController } from './health.controller';
import { JobsModule } from './jobs/jobs.module';
import { PgBossJobQueue } from './jobs/pg-boss.driver';
import { BotRunner } from './telegram/bot-runner.service';
import { TelegramModule } from './telegram/telegram.module';
import { TicketsModule } from './tickets/tickets.module';

/** Shutdown in the order that loses nothing: stop taking updates, then let running jobs finish, then the database closes. */
@Injectable()
class ShutdownOrder implements BeforeApplicationShutdown {
  constructor(
    private readonly bot: BotRunner,
    private readonly jobs: PgBossJobQueue,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.bot.stop();
    await this.jobs.stop();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        EventEmitterModule.forRoot(),
        ScheduleModule.forRoot(),
        DatabaseModule,
        JobsModule,
        AiModule,
        TelegramModule,
        TicketsModule,
        ForumModule,
        AutoCloseModule,
      ],
      controllers: [HealthController],
      providers: [ShutdownOrder],
    };
  }
}
