import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectBot } from 'nestjs-telegraf';
import { Telegraf } from 'telegraf';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** The update types the bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member'] as const;

/**
 * Starts taking updates once every module is ready (queues exist, handlers are registered) and stops
 * taking them first on shutdown (see ShutdownOrder). nestjs-telegraf's own launch is switched off: it starts before the
 * app is initialised and turns launch errors into unhandled rejections.
 */
@Injectable()
export class BotRunner implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bot');
  private polling?: Promise<void>;
  private fatal?: (error: Error) => void;

  constructor(
    @InjectBot() private readonly bot: Telegraf,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Called with an error that makes running pointless (a revoked token, a conflicting poller). */
  onFatal(handler: (error: Error) => void): void {
    this.fatal = handler;
  }

  onApplicationBootstrap(): void {
    if (this.config.botMode !== 'polling') return;
    this.polling = this.bot
      .launch({ allowedUpdates: [...ALLOWED_UPDATES], dropPendingUpdates: false }, () =>
        this.logger.log(`polling ${this.config.telegramApiRoot} as @${this.bot.botInfo?.username ?? '?'}`),
      )
      .catch((error: Error) => {
        this.logger.error(`polling stopped: ${error.message}`);
        this.fatal?.(error);
      });
  }

  /** Stops taking updates and waits until the last batch is handled and its offset confirmed. */
  async stop(): Promise<void> {
    if (this.polling) {
      try {
        this.bot.stop('shutdown');
      } catch {
        // polling never started (e.g. Telegram was unreachable at launch): nothing to stop
      }
      await this.polling;
      this.polling = undefined;
    }
    // nestjs-telegraf calls bot.stop() again on shutdown, which throws when polling never ran.
    this.bot.stop = () => undefined;
  }
}
