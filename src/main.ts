import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { loadEnvFile } from './config/env-file';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { createRootLogger, nestLoggerFor, secretScrubber } from './logging/logger';
import { loadReadyAnswers } from './team/ready-answers';
import { BotRunner } from './telegram/bot-runner.service';
import { loadCategoryCatalog } from './tickets/category-catalog.service';

/**
 * Docker sends SIGKILL 10 s after SIGTERM. The orderly shutdown fits well within that (running jobs get
 * 6 s, then go back to the queue); should anything still hang, the process leaves on its own before the
 * kill, and what it held is taken over by the next start (inbox and work leases).
 */
const SHUTDOWN_DEADLINE_MS = 9000;

/**
 * Startup failures go to stderr directly, not through the logger (it may not exist yet), so they are
 * scrubbed here: once the configuration is known, its token, keys and database password are cut out.
 */
let scrub = (text: string) => text;

function fail(message: string): never {
  process.stderr.write(`${scrub(message)}\n`);
  process.exit(1);
}

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    loadEnvFile();
    config = loadConfig();
    // The operator's catalog files too, before the database starts: a mistake in one is a line naming
    // its place, not a stack trace after the start (the app's providers load them again, unchanged).
    loadCategoryCatalog(config);
    loadReadyAnswers(config);
  } catch (error) {
    if (error instanceof ConfigError) fail(`Configuration error: ${error.problems.join('; ')}. See README.md, "Configuration".`);
    fail(`Configuration error: ${(error as Error).message}`);
  }
  scrub = secretScrubber(config);
  // Every `new Logger(...)` of the app writes through pino from here on, the lines before the app's too.
  const appLogger = nestLoggerFor(createRootLogger(config));
  Logger.overrideLogger(appLogger);
  const logger = new Logger('Main');

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    const dbLogger = new Logger('EmbeddedPostgres');
    embedded = await startEmbeddedPostgres({
      dataDir: config.embeddedDataDir,
      log: (line) => dbLogger.debug(line),
      warn: (line) => dbLogger.warn(line),
    }).catch((error: Error) =>
      fail(`Could not start the embedded PostgreSQL: ${error.message}`),
    );
    config = { ...config, databaseUrl: embedded.url };
    logger.log(`DATABASE_URL is not set: using the embedded PostgreSQL in ${config.embeddedDataDir}`);
  }

  const app = await NestFactory.create(AppModule.forRoot(config), { logger: appLogger, abortOnError: false });
  let closing: Promise<void> | undefined;
  const shutdown = (reason: string, code: number) => {
    closing ??= (async () => {
      logger.log(`shutting down (${reason})`);
      setTimeout(() => {
        logger.warn(`shutdown not finished after ${SHUTDOWN_DEADLINE_MS / 1000} s; leaving the rest to the next start`);
        process.exit(code);
      }, SHUTDOWN_DEADLINE_MS).unref();
      await app.close().catch((error: Error) => logger.error(`shutdown: ${error.message}`));
      await embedded?.stop();
      process.exit(code);
    })();
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  app.get(BotRunner).onFatal((error) => void shutdown(`Telegram: ${error.message}`, 1));

  await app.listen(config.port, '0.0.0.0');
  logger.log(`helpdesk is up (${config.botMode} mode, HTTP on port ${config.port})`);
}

bootstrap().catch((error: Error) => fail(`Startup failed: ${error.message}`));
