import { BeforeApplicationShutdown, DynamicModule, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
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
import { OperationsModule } from './operations/operations.module';
import { BotRunner } from './telegram/bot-runner.service';
import { TelegramGateway } from './telegram/telegram.gateway';
import { TelegramModule } from './telegram/telegram.module';
import { TelegramCoreModule } from './telegram/telegram-core.module';
import { TicketsModule } from './tickets/tickets.module';

/**
 * Startup and shutdown in the order that loses nothing. The root module's hooks run after every other
 * module's, so by then the queues exist, every job handler is registered and every event listener is
 * subscribed (@nestjs/event-emitter subscribes in its own bootstrap hook): a job or an update that
 * publishes a fact finds its listeners. Shutdown: stop taking updates, then let running jobs finish, then
 * the database closes.
 */
@Injectable()
class StartupOrder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly bot: BotRunner,
    private readonly jobs: PgBossJobQueue,
    private readonly gateway: TelegramGateway,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.startWorkers();
    this.bot.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.bot.stop();
    // Jobs waiting for a send slot (the group may be minutes behind) let go, so stopping takes seconds.
    this.gateway.shutdown();
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
        TelegramCoreModule,
        TicketsModule,
        ForumModule,
        AutoCloseModule,
        OperationsModule.forRoot(config),
      ],
      controllers: [HealthController],
      providers: [StartupOrder],
    };
  }
}
