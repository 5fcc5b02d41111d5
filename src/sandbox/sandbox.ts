/**
 * `npm run sandbox`: the whole desk on one machine, in a browser, with no bot token, no Telegram and no
 * database server. One process runs the embedded PostgreSQL, the Bot API emulator (which also serves the
 * page and its control API), the fake OpenAI server (or the real OpenAI when OPENAI_API_KEY is set) and
 * the real bot, in-process, pointed at them.
 *
 * Environment: SANDBOX_PORT (8080; 0 picks a free one), SANDBOX_HOST (127.0.0.1), SANDBOX_DATABASE_URL
 * (a PostgreSQL server to use instead of the embedded one; its database `helpdesk_sandbox` is recreated),
 * OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL (the real AI), LOG_LEVEL (the bot's logs; warn by default).
 * Every other setting of the bot (DEFAULT_LANGUAGE, CATEGORIES_FILE, AUTO_CLOSE_AFTER, ...) is read as usual.
 */
import 'reflect-metadata';
import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { AppModule } from '../app.module';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { loadEnvFile } from '../config/env-file';
import { EmbeddedDatabase, startEmbeddedPostgres } from '../database/embedded-postgres';
import { BotRunner } from '../telegram/bot-runner.service';
import { BotApiEmulator } from './emulator';
import { SandboxControl, SandboxOpenAi } from './control';
import { FakeOpenAI } from './fake-openai';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const SANDBOX_DATABASE = 'helpdesk_sandbox';
const FAKE_OPENAI_KEY = 'sk-sandbox-fake';

export interface SandboxOptions {
  /** The page's (and the emulator's) port; 0 picks a free one. Default 8080. */
  port?: number;
  host?: string;
  /** A database to use as it is (tests pass a fresh clone). Unset: `serverUrl`, or the embedded PostgreSQL. */
  databaseUrl?: string;
  /** A PostgreSQL server on which the database `helpdesk_sandbox` is dropped and created for this run. */
  serverUrl?: string;
  /** The embedded PostgreSQL's data directory. Default data/sandbox-postgres. */
  embeddedDataDir?: string;
  /** The bot's environment: anything of README's Configuration; Telegram, database and mode are the sandbox's. */
  env?: Record<string, string | undefined>;
  /** The built page; default dist-sandbox-web at the project root. */
  webDir?: string;
  /** Customers already in the sandbox when the page opens. */
  customers?: { first_name: string; last_name?: string; username?: string; language_code?: string }[];
  /** The bot's log levels. Default fatal, error, warn (or up to LOG_LEVEL from `env`). */
  logLevels?: LogLevel[];
}

export interface Sandbox {
  /** The page. */
  url: string;
  emu: BotApiEmulator;
  app: INestApplication;
  control: SandboxControl;
  config: AppConfig;
  /** Stops the bot, the emulator, the fake OpenAI server and the embedded database, in that order. */
  stop(): Promise<void>;
  /** Called when the bot gives up for good (as `npm start` would exit). */
  onFatal(handler: (error: Error) => void): void;
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const WEB_DIST_DIR = join(PROJECT_ROOT, 'dist-sandbox-web');

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const env = options.env ?? {};
  const logLevels = options.logLevels ?? levelsUpTo(env.LOG_LEVEL, 'warn');
  // Stopped in this order: the bot (it finishes its jobs), the page's streams, the emulator, the fake AI, the database.
  const parts: { app?: INestApplication; control?: SandboxControl; emu?: BotApiEmulator; fake?: FakeOpenAI; db?: EmbeddedDatabase } = {};
  const unwind = async () => {
    const quietly = (step: Promise<unknown> | undefined) => Promise.resolve(step).catch(() => undefined);
    await quietly(parts.app?.close());
    parts.control?.close();
    await quietly(parts.emu?.stop());
    await quietly(parts.fake?.stop());
    await quietly(parts.db?.stop());
  };

  try {
    // The database: a fresh one per run, because the emulator's chats and topics start empty each time.
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      let serverUrl = options.serverUrl;
      if (!serverUrl) {
        const dbLogger = new Logger('EmbeddedPostgres');
        parts.db = await startEmbeddedPostgres({
          dataDir: resolve(options.embeddedDataDir ?? join(PROJECT_ROOT, 'data/sandbox-postgres')),
          database: 'postgres',
          log: (line) => dbLogger.debug(line),
        });
        serverUrl = parts.db.url;
      }
      databaseUrl = await recreateDatabase(serverUrl, SANDBOX_DATABASE);
    }

    const emu = (parts.emu = new BotApiEmulator());
    await emu.start(options.port ?? 8080, options.host ?? '127.0.0.1');

    // The AI: the real OpenAI when a key is given, else the fake server.
    let openai: SandboxOpenAi;
    let openaiEnv: Record<string, string>;
    const realKey = env.OPENAI_API_KEY?.trim();
    if (realKey) {
      openai = { kind: 'real' };
      openaiEnv = { OPENAI_API_KEY: realKey };
    } else {
      const fake = (parts.fake = new FakeOpenAI({ apiKey: FAKE_OPENAI_KEY }));
      const baseUrl = await fake.start(0, '127.0.0.1');
      openai = { kind: 'fake', setLatency: (ms) => fake.setLatency(ms), setMode: (mode) => fake.setMode(mode) };
      openaiEnv = { OPENAI_API_KEY: FAKE_OPENAI_KEY, OPENAI_BASE_URL: baseUrl };
    }

    const control = (parts.control = new SandboxControl(emu, { webDir: options.webDir ?? WEB_DIST_DIR, openai }));
    for (const customer of options.customers ?? DEFAULT_CUSTOMERS) control.addCustomer(customer);

    const config = loadConfig({
      ...env,
      ...openaiEnv,
      BOT_TOKEN: emu.token,
      SUPPORT_CHAT_ID: String(emu.supportChatId),
      TELEGRAM_API_ROOT: emu.apiRoot,
      DATABASE_URL: databaseUrl,
      DB_SKIP_MIGRATIONS: 'false',
      BOT_MODE: 'polling',
      WEBHOOK_URL: '',
      WEBHOOK_SECRET: '',
      PORT: '0',
      // The page speaks English; so do the cards and notes in the group, unless told otherwise.
      SUPPORT_LANGUAGE: env.SUPPORT_LANGUAGE ?? 'en',
      // The emulator keeps no limits of its own; a snappy demo needs no 20-a-minute group budget.
      RATE_LIMIT_GROUP_PER_MINUTE: env.RATE_LIMIT_GROUP_PER_MINUTE ?? '600',
      RATE_LIMIT_GROUP_PER_SECOND: env.RATE_LIMIT_GROUP_PER_SECOND ?? '10',
    });
    const app = (parts.app = await NestFactory.create(AppModule.forRoot(config), { logger: logLevels, abortOnError: false }));
    let fatalHandler: (error: Error) => void = () => undefined;
    const fatal = new Promise<never>((_, reject) =>
      app.get(BotRunner).onFatal((error) => {
        reject(error);
        fatalHandler(error);
      }),
    );
    fatal.catch(() => undefined);
    await app.listen(0, '127.0.0.1');
    await Promise.race([emu.waitFor(() => emu.callRecords('getUpdates').length > 0, { what: 'the bot to start polling', timeoutMs: 60_000 }), fatal]);

    let stopping: Promise<void> | undefined;
    return {
      url: `${emu.apiRoot}/`,
      emu,
      app,
      control,
      config,
      stop: () => (stopping ??= unwind()),
      onFatal: (handler) => (fatalHandler = handler),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

const DEFAULT_CUSTOMERS: NonNullable<SandboxOptions['customers']> = [
  { first_name: 'Anna', last_name: 'Smith', username: 'anna_smith', language_code: 'en' },
  { first_name: 'Иван', last_name: 'Петров', language_code: 'ru' },
];

/** Builds the page with Vite (as `npm run sandbox:web` does) when it is missing or older than its sources. */
export function ensureWebAssets(): void {
  const sources = [join(PROJECT_ROOT, 'src/sandbox/sandbox-protocol.ts')];
  const webDir = join(PROJECT_ROOT, 'src/sandbox/web');
  for (const name of readdirSync(webDir)) sources.push(join(webDir, name));
  const index = join(WEB_DIST_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map((f) => statSync(f).mtimeMs))) return;
  try {
    execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'src/sandbox/web', '--logLevel', 'warn'], {
      cwd: PROJECT_ROOT,
      stdio: 'pipe',
    });
  } catch (error) {
    const output = (error as { stderr?: Buffer; stdout?: Buffer }).stderr?.toString() || (error as Error).message;
    throw new Error(`building the sandbox page failed: ${output.trim()}`);
  }
}

async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function levelsUpTo(level: string | undefined, fallback: string): LogLevel[] {
  const wanted = (level ?? '').trim().toLowerCase() || fallback;
  const index = LEVELS.indexOf(wanted as LogLevel);
  return LEVELS.slice(0, (index < 0 ? LEVELS.indexOf(fallback as LogLevel) : index) + 1);
}

function findProjectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

// ------------------------------------------------------------------ the command

async function main(): Promise<void> {
  const out = (line: string) => void process.stdout.write(`${line}\n`);
  const fail = (line: string): never => {
    process.stderr.write(`${line}\n`);
    process.exit(1);
  };
  loadEnvFile();
  const portRaw = process.env.SANDBOX_PORT?.trim() || '8080';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`SANDBOX_PORT must be a port number, got "${portRaw}"`);
  if (!existsSync(join(WEB_DIST_DIR, 'index.html'))) fail('The sandbox page is not built: run `npm run sandbox`, which builds it first.');

  const logLevels = levelsUpTo(process.env.LOG_LEVEL, 'warn');
  Logger.overrideLogger(logLevels);
  process.stdout.on('error', () => undefined); // a closed pipe must not cut the shutdown short
  const starting = startSandbox({
    port,
    host: process.env.SANDBOX_HOST?.trim() || '127.0.0.1',
    serverUrl: process.env.SANDBOX_DATABASE_URL?.trim() || undefined,
    env: process.env,
    logLevels,
  });

  // Ctrl-C at any time, even while starting: everything that started is stopped, in order. Twice: exit now.
  let stops = 0;
  const stop = (code = 0) => {
    if (++stops > 1) process.exit(130);
    out('stopping the sandbox…');
    void starting.then((sandbox) => sandbox.stop(), () => undefined).then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());

  let sandbox: Sandbox;
  try {
    sandbox = await starting;
  } catch (error) {
    if (error instanceof ConfigError) return fail(`Configuration error: ${error.problems.join('; ')}`);
    const message = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is in use; set SANDBOX_PORT` : (error as Error).message;
    return fail(`The sandbox could not start: ${message}`);
  }
  sandbox.onFatal((error) => {
    process.stderr.write(`The bot stopped: ${error.message}\n`);
    stop(1);
  });
  if (stops === 0) out(`Sandbox ready: ${sandbox.url}   (Ctrl-C stops it)`);
}

if (require.main === module) void main();
