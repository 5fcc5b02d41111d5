import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { AppModule } from '../../src/app.module';
import { PgBossJobQueue } from '../../src/jobs/pg-boss.driver';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createRootLogger, nestLoggerFor } from '../../src/logging/logger';
import { BotApiEmulator, EmulatorOptions } from '../../src/sandbox/emulator';
import type { TgMessage, TgUser } from '../../src/sandbox/emulator';
import { createTestDatabase } from './database';
import { topicMessages } from './topic-view';

/** The real app, on its own database, polling the Bot API emulator over HTTP. */
export interface TestDesk {
  app: INestApplication;
  databaseUrl: string;
  emu: BotApiEmulator;
  config: AppConfig;
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface DeskOptions {
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
  /** Share an emulator (another instance of the bot, a test that owns it): not stopped by close(). */
  emu?: BotApiEmulator;
  /** Share a database (several instances on one database): not dropped by close(). */
  databaseUrl?: string;
  /** The app's log lines go here, through its real logger (pino, LOG_FORMAT and LOG_LEVEL from `env`). */
  logs?: { write(line: string): void };
}

export async function startDesk(options: DeskOptions = {}): Promise<TestDesk> {
  const ownEmu = !options.emu;
  const emu = options.emu ?? new BotApiEmulator(options.emulator);
  if (ownEmu) await emu.start();
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const config = loadConfig({
    BOT_TOKEN: emu.token,
    SUPPORT_CHAT_ID: String(emu.supportChatId),
    TELEGRAM_API_ROOT: emu.apiRoot,
    DATABASE_URL: database.url,
    DEFAULT_LANGUAGE: 'ru',
    SUPPORT_LANGUAGE: 'en',
    RATE_LIMIT_GROUP_PER_MINUTE: '6000',
    RATE_LIMIT_GROUP_PER_SECOND: '100',
    RATE_LIMIT_CHAT_BURST: '50',
    ...options.env,
  });
  const levels: LogLevel[] = process.env.TEST_LOGS ? ['fatal', 'error', 'warn', 'log', 'debug'] : ['fatal', 'error'];
  const logger = options.logs ? nestLoggerFor(createRootLogger(config, options.logs)) : levels;
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  const callsBefore = emu.callRecords().length;
  await app.listen(0, '127.0.0.1');
  if (config.botMode === 'polling') {
    await emu.waitFor(() => emu.callRecords('getUpdates').length > 0, { what: 'the bot to start polling' });
  } else {
    await emu.waitFor(() => emu.callRecords('setWebhook').length > 0 && emu.callRecords().length > callsBefore, { what: 'the webhook to be set' });
  }
  // A pool, not one client: a test that makes the database drop every connection can query again after.
  const pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined);
  return {
    app,
    databaseUrl: database.url,
    emu,
    config,
    sql: async <T>(text: string, values?: unknown[]) => (await pool.query(text, values)).rows as T[],
    close: async () => {
      const jobs = app.get(PgBossJobQueue);
      await app.close();
      // A job handler that outlived the app's bounded stop (a long wait of its own) finishes here, so
      // nothing of this test file runs on in the next one's environment.
      await jobs.drained(20_000);
      await pool.end();
      if (ownEmu) await emu.stop();
      await database.drop();
    },
  };
}

/** The app's rate-limit settings matching the limits a test makes the emulator enforce, so both keep the same budget. */
export function rateLimitEnv(limits: { globalPerSecond: number; perChatPerSecond: number; perChatBurst: number; perGroupPerSecond: number; perGroupPerMinute: number }) {
  return {
    RATE_LIMIT_CHAT_BURST: String(limits.perChatBurst),
    RATE_LIMIT_GLOBAL_PER_SECOND: String(limits.globalPerSecond),
    RATE_LIMIT_CHAT_PER_SECOND: String(limits.perChatPerSecond),
    RATE_LIMIT_GROUP_PER_SECOND: String(limits.perGroupPerSecond),
    RATE_LIMIT_GROUP_PER_MINUTE: String(limits.perGroupPerMinute),
  };
}

/** Messages the bot sent into a chat (its own, not the customer's or service messages). */
export function botMessages(emu: BotApiEmulator, chatId: number): TgMessage[] {
  return emu.chatMessages(chatId).filter((m) => m.from?.id === emu.botUser.id);
}

export function lastBotMessage(emu: BotApiEmulator, chatId: number): TgMessage | undefined {
  return botMessages(emu, chatId).at(-1);
}

/** Button data of a message's inline keyboard. */
export function buttons(message: TgMessage | undefined): string[] {
  const markup = message?.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data ?? '');
}

/** Clicks a button of the bot's latest message and waits until that message shows `expectText`. */
export async function click(emu: BotApiEmulator, user: TgUser, data: string, expect: RegExp): Promise<TgMessage> {
  const menu = await emu.waitFor(() => botMessages(emu, user.id).findLast((m) => buttons(m).includes(data)), {
    what: `a button "${data}" for ${user.first_name}`,
  });
  emu.userClick(user.id, menu.message_id, data);
  return emu.waitFor(
    () => {
      const current = emu.getMessage(user.id, menu.message_id);
      return current && expect.test(current.text ?? '') ? current : undefined;
    },
    { what: `"${expect}" after clicking ${data}` },
  );
}

/** /start, language, category (and subcategory): the customer is asked to describe the problem. */
export async function chooseCategory(
  emu: BotApiEmulator,
  user: TgUser,
  opts: { language?: 'ru' | 'en'; category?: string; subcategory?: string } = {},
): Promise<void> {
  const language = opts.language ?? 'en';
  const category = opts.category ?? 'other';
  // A greeting already on screen is used as it is, as a customer would (a second /start within seconds
  // is not answered again: flood protection).
  const shown = botMessages(emu, user.id).at(-1);
  if (!buttons(shown).includes(`lang:${language}`)) {
    const before = botMessages(emu, user.id).length;
    emu.userSendText(user.id, '/start');
    await emu.waitFor(() => botMessages(emu, user.id).length > before, { what: `the greeting for ${user.first_name}` });
  }
  await click(emu, user, `lang:${language}`, language === 'en' ? /Choose a topic/ : /Выберите тему/);
  if (opts.subcategory) {
    await click(emu, user, `cat:${category}`, /./);
    await click(emu, user, `sub:${category}:${opts.subcategory}`, language === 'en' ? /Describe your problem/ : /Опишите проблему/);
  } else {
    await click(emu, user, `cat:${category}`, language === 'en' ? /Describe your problem/ : /Опишите проблему/);
  }
}

/** The acknowledgement the bot sent in reply to a customer's message. */
export function ackFor(emu: BotApiEmulator, userId: number): TgMessage | undefined {
  return botMessages(emu, userId).find((m) => /Thank you for your request|Спасибо за ваше обращение/.test(m.text ?? ''));
}

/** The bot's message in a topic whose text is exactly `text` (a customer message's copy). */
export function copyInTopic(emu: BotApiEmulator, threadId: number, text: string): TgMessage | undefined {
  return topicMessages(emu, threadId).find((m) => m.from?.id === emu.botUser.id && m.text === text);
}

export interface OpenedTicket {
  user: TgUser;
  threadId: number;
  /** The customer's first message, as sent. */
  first: TgMessage;
  ticketId: number;
}

/**
 * A new customer (named `name`) picks a topic and writes `first`; resolves once the ticket is
 * acknowledged and its first message is in its topic, so the group's own sends are done before a test
 * goes on (or injects a fault).
 */
export async function openTicket(emu: BotApiEmulator, first: string, opts: { name: string; language?: 'ru' | 'en' }): Promise<OpenedTicket> {
  const language = opts.language ?? 'en';
  const user = emu.createUser({ first_name: opts.name, language_code: language });
  await chooseCategory(emu, user, { language });
  const sent = emu.userSendText(user.id, first);
  await emu.waitFor(() => ackFor(emu, user.id), { what: 'the acknowledgement' });
  const topic = await emu.waitFor(() => emu.topics().find((t) => t.name.endsWith(` · ${first}`)), { what: 'the topic' });
  await emu.waitFor(() => copyInTopic(emu, topic.message_thread_id, first), { what: 'the first copy' });
  return { user, threadId: topic.message_thread_id, first: sent, ticketId: Number(/^#(\d+)/.exec(topic.name)![1]) };
}

/** Waits until the update handler has finished with an update: the poller asked for the next offset. */
export async function handled(emu: BotApiEmulator, updateId: number, afterSeq = 0): Promise<void> {
  await emu.waitFor(
    () =>
      emu.callRecords('getUpdates').some((c) => c.startSeq > afterSeq && Number((c.params as { offset?: number }).offset ?? 0) > updateId),
    { what: `update ${updateId} to be handled` },
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
