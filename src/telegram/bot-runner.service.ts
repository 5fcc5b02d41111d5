import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { InjectBot } from 'nestjs-telegraf';
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import { APP_CONFIG, AppConfig, LANGUAGES } from '../config/app-config';
import { LOCKS } from '../database/locks';
import { AdvisoryLockRepository, HeldLock } from '../database/repositories/advisory-lock.repository';
import { I18n } from './i18n/i18n.service';
import { TelegramCallError } from './telegram-error';
import { TelegramGateway } from './telegram.gateway';
import { UpdateInbox } from './update-inbox.service';
import { UpdatePoller } from './update-poller';

const STANDBY_RETRY_MS = 5000;
/** How often the polling instance makes sure it still holds the lock (a database restart drops it). */
const LEADER_CHECK_MS = 5000;

/** The update types the bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member', 'chat_member'] as const;

/**
 * Starts taking updates once every module is ready (queues exist, handlers are registered) and stops
 * taking them first on shutdown (see ShutdownOrder). nestjs-telegraf's own launch is switched off: it
 * starts before the app is initialised, turns launch errors into unhandled rejections, and its polling
 * loop awaits a whole batch, so one slow update would hold up every chat.
 */
@Injectable()
export class BotRunner implements OnModuleInit {
  private readonly logger = new Logger('Bot');
  private poller?: UpdatePoller;
  private leaderLock?: HeldLock;
  private stopping = false;
  /** Ends the waits of the standby and leader loops at once on shutdown. */
  private readonly stopped = new AbortController();
  private fatal?: (error: Error) => void;
  private acceptingWebhooks = false;

  constructor(
    @InjectBot() private readonly bot: Telegraf,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: TelegramGateway,
    private readonly i18n: I18n,
    private readonly http: HttpAdapterHost,
    private readonly locks: AdvisoryLockRepository,
    private readonly inbox: UpdateInbox,
  ) {}

  /** Called with an error that makes running pointless (a revoked token, a conflicting poller). */
  onFatal(handler: (error: Error) => void): void {
    this.fatal = handler;
  }

  /** The webhook route is added here: routes added after init would sit behind Nest's 404 handler. */
  onModuleInit(): void {
    // A failed update is the inbox's to retry; telegraf's default would print the update (customer text) and set exit code 1.
    this.bot.catch((error) => {
      throw error;
    });
    if (this.config.botMode !== 'webhook') return;
    const path = new URL(this.config.webhookUrl).pathname;
    const secret = Buffer.from(this.config.webhookSecret);
    const app = this.http.httpAdapter.getInstance<{ post(path: string, handler: (req: Request, res: Response) => void): void }>();
    app.post(path, (req, res) => void this.onWebhook(req, res, secret));
  }

  /** Starts taking updates in the background (see StartupOrder); a refused token is reported to onFatal. */
  start(): void {
    void this.connect().catch((error: Error) => {
      const reason =
        error instanceof TelegramCallError && error.code === 401
          ? 'Telegram rejected the bot token (401 Unauthorized): check BOT_TOKEN'
          : `Telegram: ${error.message}`;
      this.logger.error(reason);
      this.fatal?.(new Error(reason));
    });
  }

  /**
   * Waits for Telegram (the app is up meanwhile: jobs run, /health answers), then takes updates. An
   * unreachable Telegram is retried; a refused token is fatal.
   */
  private async connect(): Promise<void> {
    for (let attempt = 0; !this.bot.botInfo; attempt++) {
      try {
        this.bot.botInfo = await this.gateway.call('getMe', {}, { retries: 0 });
      } catch (error) {
        if (!(error instanceof TelegramCallError) || !error.retriable || this.stopping) throw error;
        const waitMs = Math.min(30_000, 1000 * 2 ** attempt);
        this.logger.warn(`Telegram is not reachable (${error.description}); trying again in ${waitMs / 1000} s`);
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
    if (this.stopping) return;
    this.inbox.start((update) => this.bot.handleUpdate(update));
    void this.publishCommands();
    if (this.config.botMode === 'webhook') await this.startWebhook();
    else void this.pollWhenLeader();
  }

  /**
   * Telegram allows one getUpdates consumer per bot. Instances share a PostgreSQL advisory lock: the
   * holder polls, the others stand by (their job workers still run) and take over if it goes away. A
   * database that goes away does not end this: standbys keep trying, and the leader, whose lock went with
   * its connection, steps down and competes again.
   */
  private async pollWhenLeader(): Promise<void> {
    let announced = false;
    let unreachable = false;
    while (!this.stopping) {
      try {
        this.leaderLock ??= await this.locks.session(LOCKS.poll);
        if (await this.leaderLock.tryTake()) {
          unreachable = false;
          announced = false;
          await this.lead();
          continue;
        }
        unreachable = false;
        if (!announced) this.logger.log('another instance is polling Telegram; standing by');
        announced = true;
      } catch (error) {
        if (!unreachable) this.logger.warn(`cannot reach the database for the polling lock (${(error as Error).message}); trying again`);
        unreachable = true;
        await this.dropLeaderLock();
      }
      await this.pause(STANDBY_RETRY_MS);
    }
  }

  /** Polls while this instance holds the lock; returns after stepping down (the lock or its connection is gone). */
  private async lead(): Promise<void> {
    await this.gateway.call('deleteWebhook', { drop_pending_updates: false });
    this.poller = new UpdatePoller(this.bot.telegram, (updates) => this.inbox.accept(updates), { allowedUpdates: ALLOWED_UPDATES });
    void this.poller
      .start((error) => {
        this.logger.error(`polling stopped: ${error.description}`);
        this.fatal?.(error);
      })
      .then(() => this.logger.log(`polling ${this.config.telegramApiRoot} as @${this.bot.botInfo?.username ?? '?'}`));
    while (!this.stopping) {
      await this.pause(LEADER_CHECK_MS);
      if (this.stopping || !this.leaderLock) return;
      const held = await this.leaderLock.isHeld().catch(() => false);
      if (held) continue;
      this.logger.warn('lost the polling lock (the database restarted or the connection broke); stepping down');
      await this.poller?.stop();
      this.poller = undefined;
      await this.dropLeaderLock();
      return;
    }
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }

  private async dropLeaderLock(): Promise<void> {
    await this.leaderLock?.release().catch(() => undefined);
    this.leaderLock = undefined;
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
    this.stopping = true;
    this.stopped.abort();
    this.acceptingWebhooks = false;
    await this.poller?.stop();
    this.poller = undefined;
    await this.dropLeaderLock();
    await this.inbox.stop();
    // nestjs-telegraf calls bot.stop() again on shutdown, which throws when polling never ran.
    this.bot.stop = () => undefined;
  }

  /**
   * Webhook mode: Telegram POSTs each update to WEBHOOK_URL. The update is handled (one short
   * transaction, at most one send) before the 200, so an instance that dies mid-update gets it again;
   * several instances behind a load balancer share the work through PostgreSQL.
   */
  private async startWebhook(): Promise<void> {
    this.acceptingWebhooks = true;
    await this.gateway.call('setWebhook', {
      url: this.config.webhookUrl,
      secret_token: this.config.webhookSecret,
      allowed_updates: [...ALLOWED_UPDATES],
      max_connections: 40,
    });
    this.logger.log(`receiving updates by webhook at ${this.config.webhookUrl} as @${this.bot.botInfo?.username ?? '?'}`);
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
      await this.inbox.accept([update]);
      res.status(200).end();
    } catch (error) {
      // Not stored, so not confirmed: Telegram delivers it again.
      this.logger.warn(`webhook update ${update.update_id} could not be stored (${(error as Error).message}); answered 503`);
      res.status(503).end();
    }
  }
}
