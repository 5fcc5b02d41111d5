import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config';
import { logBindings } from './work-context';

/** LOG_LEVEL speaks Nest's names; pino's for the same levels. */
const PINO_LEVEL: Record<AppConfig['logLevel'], pino.Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

const REDACTED = '[redacted]';
/** A bot token inside a Bot API URL (telegraf's network errors quote the URL they failed on). */
const BOT_URL_TOKEN = /\/bot\d+:[\w-]+/g;

/** Fields that hold a secret wherever they appear in a logged object. */
const REDACT_PATHS = [
  'botToken', '*.botToken', 'openaiApiKey', '*.openaiApiKey', 'webhookSecret', '*.webhookSecret', 'databaseUrl', '*.databaseUrl',
  'password', '*.password', 'apiKey', '*.apiKey', 'token', '*.token',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-telegram-bot-api-secret-token"]',
];

/** The configured secrets, as they could turn up inside a message (an error quoting a URL, say). */
function secretsOf(config: AppConfig): string[] {
  const secrets = [config.botToken, config.openaiApiKey, config.webhookSecret];
  try {
    const password = config.databaseUrl ? decodeURIComponent(new URL(config.databaseUrl).password) : '';
    if (password) secrets.push(password);
  } catch {
    // Not a URL that parses: nothing to take from it.
  }
  // Short values would blank out ordinary words; real tokens and keys are long.
  return secrets.filter((secret) => secret.length >= 6).sort((a, b) => b.length - a.length);
}

/** Removes the configured secrets (and any bot token in a Bot API URL) from a text about to be logged. */
export function secretScrubber(config: AppConfig): (text: string) => string {
  const secrets = secretsOf(config);
  return (text) => {
    let clean = text.replace(BOT_URL_TOKEN, `/bot${REDACTED}`);
    for (const secret of secrets) clean = clean.split(secret).join(REDACTED);
    return clean;
  };
}

/**
 * The process's root logger: JSON lines (LOG_FORMAT=json, the default in production) or readable ones
 * (pretty). Every line carries the current work's `update_id`, `chat`, `ticket` and `job` (see
 * work-context.ts). Secrets never reach the output: known fields are redacted, and the configured
 * token, keys and database password are cut out of messages and error stacks.
 */
export function createRootLogger(config: AppConfig, destination?: pino.DestinationStream): pino.Logger {
  const scrub = secretScrubber(config);
  const options: pino.LoggerOptions = {
    level: PINO_LEVEL[config.logLevel],
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: logBindings,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      err: (error: Error) => {
        const serialized = pino.stdSerializers.err(error);
        return { ...serialized, message: scrub(serialized.message ?? ''), stack: scrub(serialized.stack ?? '') };
      },
    },
    hooks: {
      logMethod(args, method) {
        const clean: unknown[] = args.map((arg: unknown) => (typeof arg === 'string' ? scrub(arg) : arg));
        // An error logged without a message gets its own as the message: pino would take it unscrubbed.
        const first = clean[0] as { err?: unknown } | undefined;
        if (clean.length === 1 && typeof first === 'object' && first?.err instanceof Error) clean.push(scrub(first.err.message));
        method.apply(this, clean as Parameters<typeof method>);
      },
    },
  };
  return pino(options, config.logFormat === 'pretty' ? prettyStream(destination) : (destination ?? pino.destination({ dest: 1, sync: true })));
}

/** Readable lines for a terminal, formatted synchronously in this thread (no transport worker). */
function prettyStream(destination?: pino.DestinationStream): pino.DestinationStream {
  // A development dependency (see LOG_FORMAT in app-config.ts): loaded only when asked for.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prettyFactory } = require('pino-pretty') as { prettyFactory: (options: object) => (line: string) => string };
  const prettify = prettyFactory({
    colorize: !destination && process.stdout.isTTY,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  return { write: (line: string) => out.write(prettify(line)) };
}

/**
 * Nest's logging contract over the root logger, for `NestFactory.create({ logger })` and
 * `Logger.overrideLogger`: every `new Logger('Context')` in the code writes through pino, with its
 * context as the `context` field.
 */
export function nestLoggerFor(root: pino.Logger): LoggerService {
  return new NestPinoLogger(new RootPinoLogger(root), {});
}

/** nestjs-pino's PinoLogger bound to this root (its default is a logger shared by the whole process). */
class RootPinoLogger extends PinoLogger {
  constructor(private readonly root: pino.Logger) {
    super({ pinoHttp: { logger: root } });
  }

  override get logger(): pino.Logger {
    return this.root;
  }
}
