import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { InjectBot } from 'nestjs-telegraf';
import { timingSafeEqual } from 'node:crypto';
import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import { APP_CONFIG, AppConfig, LANGUAGES } from '../config/app-config';
import { I18n } from './i18n/i18n.service';
import { TelegramGateway } from './telegram.gateway';

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
  private acceptingWebhooks = false;

  constructor(
    @InjectBot() private readonly bot: Telegraf,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly http: HttpAdapterHost,
  ) {}

  /** Called with an error that makes running pointless (a revoked token, a conflicting poller). */
  onFatal(handler: (error: Error) => void): void {
    this.fatal = handler;
  }

  async onApplicationBootstrap(): Promise<void> {
    void this.publishCommands();
    if (this.config.botMode === 'webhook') return this.startWebhook();
    this.polling = this.bot
      .launch({ allowedUpdates: [...ALLOWED_UPDATES], dropPendingUpdates: false }, () =>
        this.logger.log(`polling ${this.config.telegramApiRoot} as @${this.bot.botInfo?.username ?? '?'}`),
      )
      .catch((error: Error) => {
        this.logger.error(`polling stopped: ${error.message}`);
        this.fatal?.(error);
      });
  }

  /** The command menu customers see in their chat with the bot, in their language. */
  private async publishCommands(): Promise<void> {
    const menus = [
      { language_code: undefined, description: this.i18n.t(this.config.defaultLanguage, 'command.start') },
      ...LANGUAGES.map((language) => ({ language_code: language, description: this.i18n.t(language, 'command.start') })),
    ];
    for (const menu of menus) {
      await this.gateway
        .call('setMyCommands', {
          commands: [{ command: 'start', description: menu.description }],
          scope: { type: 'all_private_chats' },
          ...(menu.language_code ? { language_code: menu.language_code } : {}),
        })
        .catch((error: Error) => this.logger.warn(`setMyCommands failed: ${error.message}`));
    }
  }

  /** Stops taking updates and waits until the last batch is handled and its offset confirmed. */
  async stop(): Promise<void> {
    this.acceptingWebhooks = false;
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

  /**
   * Webhook mode: Telegram POSTs each update to WEBHOOK_URL. The update is handled (one short
   * transaction, at most one send) before the 200, so an instance that dies mid-update gets it again;
   * several instances behind a load balancer share the work through PostgreSQL.
   */
  private async startWebhook(): Promise<void> {
    const path = new URL(this.config.webhookUrl).pathname;
    const secret = Buffer.from(this.config.webhookSecret);
    this.bot.botInfo ??= await this.gateway.call('getMe', {});
    const app = this.http.httpAdapter.getInstance<{ post(path: string, handler: (req: Request, res: Response) => void): void }>();
    app.post(path, (req, res) => void this.onWebhook(req, res, secret));
    this.acceptingWebhooks = true;
    await this.gateway.call('setWebhook', {
      url: this.config.webhookUrl,
      secret_token: this.config.webhookSecret,
      allowed_updates: [...ALLOWED_UPDATES],
      max_connections: 40,
    });
    this.logger.log(`receiving updates by webhook at ${path} as @${this.bot.botInfo.username}`);
  }

  private async onWebhook(req: Request, res: Response, secret: Buffer): Promise<void> {
    const given = Buffer.from(String(req.header('x-telegram-bot-api-secret-token') ?? ''));
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) {
      res.status(401).json({ ok: false, description: 'wrong or missing secret token' });
      return;
    }
    if (!this.acceptingWebhooks) {
      // Shutting down: Telegram retries the update, and another instance (or this one, restarted) takes it.
      res.status(503).end();
      return;
    }
    const update = req.body as Update | undefined;
    if (!update || typeof update.update_id !== 'number') {
      res.status(400).json({ ok: false, description: 'not a Telegram update' });
      return;
    }
    try {
      await this.bot.handleUpdate(update);
      res.status(200).end();
    } catch (error) {
      this.logger.error(`webhook update ${update.update_id} failed: ${(error as Error).message}`);
      res.status(500).end();
    }
  }
}
