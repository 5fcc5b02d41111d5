/**
 * `npm run bench`: the intake path under load, end to end. The real app (in this process, as the e2e
 * tests run it) polls the in-process Bot API emulator and writes to a real PostgreSQL; simulated
 * customers go through /start, language and category, then write their first message. Measured:
 *
 *   ack latency    the customer's message enqueued -> the acknowledgement stored in their chat
 *   topic latency  the same message enqueued -> the bot's copy stored in the ticket's forum topic
 *
 * Writes bench/reports/intake-<timestamp>.json and bench/reports/latest.json.
 *
 * Environment: DATABASE_URL (a server to create a scratch database on; unset: the embedded PostgreSQL in
 * data/bench-postgres), BENCH_CUSTOMERS (200), BENCH_CONCURRENCY (20), BENCH_SLOW_CUSTOMERS (30),
 * BENCH_WARMUP (5), BENCH_TIMEOUT_S (150).
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, platform, arch, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { AppConfig, loadConfig } from '../src/config/app-config';
import { BotApiEmulator } from '../src/sandbox/emulator';
import type { Fault, TgMessage, TgUser } from '../src/sandbox/emulator';
import { CountingLogger } from './app-logger';
import { BenchDatabase, provisionDatabase } from './database';
import { formatStats, LatencyStats, summarize } from './stats';
import { Teardown, withTimeout } from './timeouts';
import { Sample, Tracker } from './tracker';

const REPO_ROOT = resolve(__dirname, '..');
const REPORTS_DIR = join(__dirname, 'reports');

/** Bounds of single waits; generous against a loaded machine, far below the run's overall deadline. */
const DB_START_TIMEOUT_MS = 90_000;
const APP_START_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 15_000;
const TOPIC_DRAIN_TIMEOUT_MS = 60_000;
const QUEUE_IDLE_TIMEOUT_MS = 60_000;
const TEARDOWN_STEP_TIMEOUT_MS = 20_000;
const SLOW_TOPIC_LATENCY_MS = 2000;

interface Options {
  customers: number;
  concurrency: number;
  slowCustomers: number;
  warmup: number;
  timeoutS: number;
}

function readOptions(): Options {
  const int = (name: string, fallback: number, min: number): number => {
    const raw = process.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
    return value;
  };
  return {
    customers: int('BENCH_CUSTOMERS', 200, 1),
    concurrency: int('BENCH_CONCURRENCY', 20, 1),
    slowCustomers: int('BENCH_SLOW_CUSTOMERS', 30, 1),
    warmup: int('BENCH_WARMUP', 5, 0),
    timeoutS: int('BENCH_TIMEOUT_S', 150, 10),
  };
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

// ------------------------------------------------------------------ one customer

interface Desk {
  app: INestApplication;
  emu: BotApiEmulator;
  config: AppConfig;
  tracker: Tracker;
  logger: CountingLogger;
  /** The benchmark's own connection to the app's database, to look at the job queue. */
  sql: Client;
}

const LANGUAGES = [
  { code: 'en' as const, choose: /Choose a topic/, describe: /Describe your problem/ },
  { code: 'ru' as const, choose: /Выберите тему/, describe: /Опишите проблему/ },
];

function hasButton(message: TgMessage, data: string): boolean {
  const markup = message.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat().some((b) => b.callback_data === data);
}

/** Clicks a button of `menu` and waits until the bot has edited that menu to the next step (as test-desk's `click`). */
async function click(desk: Desk, user: TgUser, menu: TgMessage, data: string, expect: RegExp): Promise<TgMessage> {
  const edited = desk.tracker.waitForBot(
    user.id,
    (m) => m.message_id === menu.message_id && expect.test(m.text ?? ''),
    STEP_TIMEOUT_MS,
    `${expect} after ${user.first_name} clicked ${data}`,
  );
  try {
    desk.emu.userClick(user.id, menu.message_id, data);
  } catch (error) {
    edited.catch(() => undefined); // its timeout would otherwise surface later as an unhandled rejection
    throw error;
  }
  return edited;
}

/**
 * /start, language, category "other", then the measured first message. Returns once the
 * acknowledgement is in the chat; the copy into the topic is awaited by the scenario, all at once.
 */
async function customer(desk: Desk, scenario: string, runId: string, index: number): Promise<Sample> {
  const { emu, tracker } = desk;
  const language = LANGUAGES[index % LANGUAGES.length];
  const user = emu.createUser({ first_name: `Bench ${scenario} ${index}`, language_code: language.code });
  // Fixed width, so that "…-0001" is never a prefix of "…-0010" in a topic name.
  const token = `req-${runId}-${scenario.replace(/[^a-z]/g, '')}-${String(index).padStart(4, '0')}`;
  const text = `${token}: the app does not open after the update`;

  const greeting = tracker.waitForBot(user.id, (m) => hasButton(m, `lang:${language.code}`), STEP_TIMEOUT_MS, `the greeting for ${user.first_name}`);
  emu.userSendText(user.id, '/start');
  const menu = await click(desk, user, await greeting, `lang:${language.code}`, language.choose);
  await click(desk, user, menu, 'cat:other', language.describe);

  const sample = tracker.track(token, text, user.id);
  sample.sentAt = performance.now();
  sample.messageId = emu.userSendText(user.id, text).message_id;
  await withTimeout(sample.ack.promise, STEP_TIMEOUT_MS, `the acknowledgement for ${user.first_name}`);
  return sample;
}

/** Runs `count` customers, at most `concurrency` at a time; after the first failure no new ones start. */
async function crowd(desk: Desk, scenario: string, runId: string, count: number, concurrency: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const failures: Error[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && failures.length === 0) {
      const index = next++;
      try {
        samples.push(await customer(desk, scenario, runId, index));
      } catch (error) {
        failures.push(error as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failures.length) throw new Error(`${scenario}: ${failures.length} customer(s) failed; first: ${failures[0].message}`);
  return samples;
}

/** Waits (bounded) until every sample's copy is in its topic, then checks it is the ticket's own topic. */
async function drainTopics(samples: Sample[], scenario: string): Promise<void> {
  try {
    await withTimeout(Promise.all(samples.map((s) => s.copy.promise)), TOPIC_DRAIN_TIMEOUT_MS, `${scenario}: the copies in the forum topics`);
  } catch (error) {
    const missing = samples.filter((s) => !s.copy.settled).length;
    throw new Error(`${(error as Error).message} (${missing} of ${samples.length} missing)`);
  }
  const misplaced = samples.filter((s) => s.threadId === undefined || s.copyThreadId !== s.threadId);
  if (misplaced.length) {
    throw new Error(`${scenario}: ${misplaced.length} copies are not in the topic named after their message (first: ${misplaced[0].token})`);
  }
}

/** ticket.sync jobs not finished yet (pg-boss's table; the app offers no other view of its queue). */
async function pendingSyncJobs(sql: Client): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'ticket.sync' AND state IN ('created', 'retry', 'active')`,
  );
  return rows[0].n;
}

/**
 * Waits (bounded) until no sync job is queued or running, so that a scenario does not measure the
 * previous one's leftovers. Returns how long that took.
 */
async function queueIdle(sql: Client, what: string): Promise<number> {
  const started = performance.now();
  while ((await pendingSyncJobs(sql)) > 0) {
    if (performance.now() - started > QUEUE_IDLE_TIMEOUT_MS) throw new Error(`${what}: the job queue is still busy after ${QUEUE_IDLE_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Math.round(performance.now() - started);
}

// ------------------------------------------------------------------ scenarios

interface ScenarioReport {
  name: string;
  description: string;
  parameters: { customers: number; concurrency: number; faults: Record<string, Fault> };
  /** From the first customer's /start to the last copy in a topic. */
  durationMs: number;
  customersPerSecond: number;
  stats: {
    ack_latency: LatencyStats | null;
    topic_latency: LatencyStats | null;
  };
  /** Where the ack latency goes: emulator queue -> bot, bot's handler -> sendMessage, the call itself. */
  breakdown: {
    delivery: LatencyStats | null;
    handling_until_ack_call: LatencyStats | null;
    ack_call: LatencyStats | null;
    until_create_forum_topic_call: LatencyStats | null;
    until_topic_created: LatencyStats | null;
  };
  checks: { acksNotReplying: number; failedTelegramCalls: number };
  jobs: {
    /** Waited before the scenario for the previous one's jobs to finish. */
    idleWaitMs: number;
    /** ticket.sync jobs still queued or running once every copy was in its topic (work left for nothing). */
    pendingAfterLastCopy: number;
  };
  appLog: { level: 'error' | 'warn'; kind: string; count: number }[];
  /**
   * The one process that runs the app, the emulator and the customers: an event loop busy close to 1.0
   * means the latencies include waiting for this process's CPU, not only the app's own path.
   */
  process: { eventLoopUtilization: number; cpuMs: number };
}

const span = (samples: Sample[], from: (s: Sample) => number | undefined, to: (s: Sample) => number | undefined): LatencyStats | null =>
  summarize(
    samples.flatMap((s) => {
      const a = from(s);
      const b = to(s);
      return a !== undefined && b !== undefined ? [b - a] : [];
    }),
  );

async function scenario(
  desk: Desk,
  runId: string,
  spec: { name: string; description: string; customers: number; concurrency: number; faults?: Record<string, Fault> },
): Promise<ScenarioReport> {
  const { emu } = desk;
  const faults = spec.faults ?? {};
  const idleWaitMs = await queueIdle(desk.sql, spec.name);
  desk.logger.drain();
  const callsBefore = emu.callRecords().length;
  const eluBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  for (const [method, fault] of Object.entries(faults)) emu.setFault(method, fault);
  const started = performance.now();
  let samples: Sample[];
  try {
    samples = await crowd(desk, spec.name, runId, spec.customers, spec.concurrency);
    await drainTopics(samples, spec.name);
  } finally {
    for (const method of Object.keys(faults)) emu.setFault(method, null);
  }
  const durationMs = performance.now() - started;
  const elu = performance.eventLoopUtilization(eluBefore);
  const cpu = process.cpuUsage(cpuBefore);
  const pendingAfterLastCopy = await pendingSyncJobs(desk.sql);
  const failedTelegramCalls = emu
    .callRecords()
    .slice(callsBefore)
    .filter((c) => c.ok === false && c.method !== 'getUpdates').length;

  const report: ScenarioReport = {
    name: spec.name,
    description: spec.description,
    parameters: { customers: spec.customers, concurrency: spec.concurrency, faults },
    durationMs: Math.round(durationMs),
    customersPerSecond: Math.round((spec.customers / (durationMs / 1000)) * 10) / 10,
    stats: {
      ack_latency: span(samples, (s) => s.sentAt, (s) => s.ackAt),
      topic_latency: span(samples, (s) => s.sentAt, (s) => s.copyAt),
    },
    breakdown: {
      delivery: span(samples, (s) => s.sentAt, (s) => s.deliveredAt),
      handling_until_ack_call: span(samples, (s) => s.deliveredAt, (s) => s.ackCallAt),
      ack_call: span(samples, (s) => s.ackCallAt, (s) => s.ackAt),
      until_create_forum_topic_call: span(samples, (s) => s.sentAt, (s) => s.topicCallAt),
      until_topic_created: span(samples, (s) => s.sentAt, (s) => s.topicCreatedAt),
    },
    checks: { acksNotReplying: samples.filter((s) => !s.ackIsReply).length, failedTelegramCalls },
    jobs: { idleWaitMs, pendingAfterLastCopy },
    appLog: desk.logger.drain(),
    process: { eventLoopUtilization: Math.round(elu.utilization * 100) / 100, cpuMs: Math.round((cpu.user + cpu.system) / 1000) },
  };
  out(
    `${spec.name}: ${spec.customers} customers, concurrency ${spec.concurrency}, ${(durationMs / 1000).toFixed(1)} s | ` +
      `ack ${formatStats(report.stats.ack_latency)} | topic ${formatStats(report.stats.topic_latency)} | ` +
      `event loop ${Math.round(report.process.eventLoopUtilization * 100)}% busy`,
  );
  const warnings = report.appLog.reduce((n, e) => n + e.count, 0);
  if (warnings > 0) out(`  app logged ${warnings} warning(s)/error(s) of ${report.appLog.length} kind(s); counts in the report`);
  return report;
}

// ------------------------------------------------------------------ setup, report, teardown

async function startDesk(database: BenchDatabase, teardown: Teardown): Promise<Desk> {
  const emu = new BotApiEmulator();
  await emu.start();
  teardown.add('the Bot API emulator', () => emu.stop());
  const tracker = new Tracker(emu);
  const config = loadConfig({
    BOT_TOKEN: emu.token,
    SUPPORT_CHAT_ID: String(emu.supportChatId),
    TELEGRAM_API_ROOT: emu.apiRoot,
    DATABASE_URL: database.url,
    DEFAULT_LANGUAGE: 'ru',
    SUPPORT_LANGUAGE: 'en',
    // Telegram's group limit (20/min) would turn topic latency into a measure of the flood limits, and
    // the global 30/s would queue acks behind copies: raised, so the numbers are about our own path.
    RATE_LIMIT_GROUP_PER_MINUTE: '6000',
    RATE_LIMIT_GLOBAL_PER_SECOND: '1000',
    // The per-second budget of one group, where the gateway has it (ignored by a version that does not).
    RATE_LIMIT_GROUP_PER_SECOND: '1000',
  });
  const logger = new CountingLogger();
  const app = await withTimeout(
    (async () => {
      const created = await NestFactory.create(AppModule.forRoot(config), { logger });
      // Registered before listen: if boot fails half way, whatever started is still closed.
      teardown.add('the app', () => created.close());
      await created.listen(0, '127.0.0.1');
      return created;
    })(),
    APP_START_TIMEOUT_MS,
    'the app to start (migrations, pg-boss, HTTP)',
  );
  await emu.waitFor(() => emu.callRecords('getUpdates').length > 0, { timeoutMs: APP_START_TIMEOUT_MS, what: 'the bot to start polling' });
  const sql = new Client({ connectionString: database.url, connectionTimeoutMillis: 10_000 });
  await sql.connect();
  teardown.add('the benchmark database connection', () => sql.end());
  return { app, emu, config, tracker, logger, sql };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
  } catch {
    return null;
  }
}

function writeReport(report: object): string {
  mkdirSync(REPORTS_DIR, { recursive: true });
  // ISO 8601 with ':' and '.' replaced: file names stay valid on every filesystem.
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(REPORTS_DIR, `intake-${stamp}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(REPORTS_DIR, 'latest.json'), json);
  return file;
}

async function main(options: Options, teardown: Teardown): Promise<void> {
  const startedAt = new Date();
  const runId = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');

  const database = await withTimeout(provisionDatabase(REPO_ROOT), DB_START_TIMEOUT_MS, 'PostgreSQL');
  teardown.add(database.kind === 'server' ? `the database ${database.name}` : 'the embedded PostgreSQL', () => database.release());
  out(`bench: PostgreSQL ${database.kind} (${database.version.split(' ').slice(0, 2).join(' ')}), database ${database.name}`);

  const bootStarted = performance.now();
  const desk = await startDesk(database, teardown);
  out(`bench: app up and polling in ${Math.round(performance.now() - bootStarted)} ms (migrations included)`);

  if (options.warmup > 0) {
    // The first customers pay for JIT compilation, TypeORM metadata and fresh pool connections.
    await crowd(desk, 'warmup', runId, options.warmup, options.concurrency).then((samples) => drainTopics(samples, 'warmup'));
    const warnings = desk.logger.drain().reduce((n, e) => n + e.count, 0);
    if (warnings > 0) out(`  warmup: the app logged ${warnings} warning(s)/error(s)`);
  }

  const scenarios: ScenarioReport[] = [];
  scenarios.push(
    await scenario(desk, runId, {
      name: 'ack_latency',
      description: 'Customers in parallel: /start, language, category "other", first message; ack and topic copy timed from the message.',
      customers: options.customers,
      concurrency: options.concurrency,
    }),
  );
  scenarios.push(
    await scenario(desk, runId, {
      name: 'ack_with_slow_topic',
      description: `createForumTopic answers after ${SLOW_TOPIC_LATENCY_MS} ms: the acknowledgement must not wait for the topic.`,
      customers: options.slowCustomers,
      concurrency: options.concurrency,
      faults: { createForumTopic: { latencyMs: SLOW_TOPIC_LATENCY_MS } },
    }),
  );

  const file = writeReport({
    benchmark: 'intake',
    date: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    node: process.version,
    machine: {
      platform: platform(),
      arch: arch(),
      osRelease: release(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
      freeMemoryMiB: Math.round(freemem() / 2 ** 20),
    },
    git: { commit: git(['rev-parse', '--short', 'HEAD']), dirty: (git(['status', '--porcelain']) ?? '') !== '' },
    database: { kind: database.kind, version: database.version },
    app: {
      inProcess: true,
      jobConcurrency: desk.config.jobConcurrency,
      rateLimits: desk.config.rateLimits,
      warmupCustomers: options.warmup,
    },
    notes:
      'Latencies in ms from the customer message being enqueued in the emulator (performance.now()) to the bot message being stored there. ' +
      'App, emulator and simulated customers share one Node.js process and event loop.',
    scenarios,
  });
  out(`bench: report written to ${relative(process.cwd(), file) || file}`);
}

const options = (() => {
  try {
    return readOptions();
  } catch (error) {
    err(`bench: ${(error as Error).message}`);
    process.exit(1);
  }
})();
const teardown = new Teardown();
let finished = false;

async function finish(error: Error | undefined): Promise<never> {
  if (finished) return new Promise<never>(() => undefined);
  finished = true;
  if (error) err(`bench: FAILED: ${error.message}`);
  const cleaned = await teardown.run(TEARDOWN_STEP_TIMEOUT_MS, err);
  process.exit(error || !cleaned ? 1 : 0);
}

// The app runs in this process: a rejection nobody handled would otherwise kill it without teardown.
process.on('unhandledRejection', (reason) => void finish(reason instanceof Error ? reason : new Error(String(reason))));
process.once('SIGINT', () => void finish(new Error('interrupted (SIGINT)')));
process.once('SIGTERM', () => void finish(new Error('terminated (SIGTERM)')));
const deadline = setTimeout(
  () => void finish(new Error(`the benchmark did not finish within ${options.timeoutS} s (BENCH_TIMEOUT_S)`)),
  options.timeoutS * 1000,
);

process.chdir(REPO_ROOT);
main(options, teardown).then(
  () => {
    clearTimeout(deadline);
    return finish(undefined);
  },
  (error: Error) => finish(error),
);
