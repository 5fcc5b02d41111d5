import { performance } from 'node:perf_hooks';
import { BotApiEmulator } from '../src/sandbox/emulator';
import type { LimitOptions, TgMessage, TgUser } from '../src/sandbox/emulator';
import { FakeOpenAI } from '../src/sandbox/fake-openai';
import { Child, startApp, startBenchBot } from './child';
import type { BenchDatabase, ScratchDatabase } from './database';
import type { LogKind } from './log-counter';
import type { ProcessUsage } from './process-stats';
import { progress } from './progress';
import { withTimeout } from './timeouts';
import { Sample, Tracker } from './tracker';

/** Telegram's limits as the emulator enforces them in the scenarios that keep them. */
export const TELEGRAM_LIMITS: LimitOptions = { enforce: true, globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerMinute: 20 };
/** The app's limits lifted, for the scenarios that measure its own path rather than Telegram's budget. */
export const LIFTED_LIMITS_ENV = {
  RATE_LIMIT_GLOBAL_PER_SECOND: '100000',
  RATE_LIMIT_CHAT_PER_SECOND: '100000',
  RATE_LIMIT_GROUP_PER_SECOND: '100000',
  RATE_LIMIT_GROUP_PER_MINUTE: '1000000',
};

const BOT_START_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 30_000;
/** Customers going through the menus at once while a scenario prepares them. */
const PREPARE_CONCURRENCY = 20;

export type BotKind = 'app' | 'minimal' | 'seed';

/** What is shared by every desk of a run. */
export interface RunContext {
  runId: string;
  database: BenchDatabase;
  /** The AI title delay of the seed-ordering bot. */
  seedAiMs: number;
  /** Where the app writes a CPU profile per desk (BENCH_APP_PROFILE=1), or undefined. */
  profileDir?: string;
}

export interface DeskReport {
  bot: BotKind;
  usage: ProcessUsage;
  log: LogKind[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  emulator: {
    groupMessages: number;
    groupCalls: number;
    groupCallsByMethod: Record<string, number>;
    tooManyRequests: number;
    failedCalls: number;
  };
}

const LANGUAGES = [
  { code: 'en' as const, choose: /Choose a topic/, describe: /Describe your problem/ },
  { code: 'ru' as const, choose: /Выберите тему/, describe: /Опишите проблему/ },
];

function hasButton(message: TgMessage, data: string): boolean {
  const markup = message.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat().some((b) => b.callback_data === data);
}

/** One customer: a Telegram user and the first message they will write (carrying their token). */
export interface Customer {
  user: TgUser;
  index: number;
  language: (typeof LANGUAGES)[number];
  token: string;
  text: string;
}

/**
 * One bot under test (the app, or a comparison bot) as its own process, polling a fresh emulator of
 * its own, with its own empty database: nothing of one measurement leaks into the next.
 */
export interface DeskSpec {
  bot: BotKind;
  label: string;
  limits?: LimitOptions;
  env?: Record<string, string>;
  /** Support groups behind the bot (default 1; the app gets them all in SUPPORT_CHAT_ID). */
  groups?: number;
}

export class Desk {
  private nextCustomer = 0;

  private constructor(
    readonly bot: BotKind,
    readonly label: string,
    readonly emu: BotApiEmulator,
    readonly tracker: Tracker,
    readonly child: Child,
    private readonly database: ScratchDatabase | undefined,
    private readonly fakeOpenAI: FakeOpenAI | undefined,
    private readonly runId: string,
  ) {}

  /** Starts the emulator (limits as given, else unlimited), the bot, and waits until the bot polls. */
  static async open(ctx: RunContext, spec: DeskSpec): Promise<Desk> {
    const emu = new BotApiEmulator({ limits: spec.limits });
    await emu.start();
    // More support groups than the emulator's own: -1009000000002, -1009000000003, …
    const groups = [emu.supportChatId];
    for (let i = 2; i <= (spec.groups ?? 1); i++) groups.push(emu.addSupportGroup({ id: -1009000000000 - i, title: `Support ${i}` }));
    const tracker = new Tracker(emu, groups);
    let database: ScratchDatabase | undefined;
    let fake: FakeOpenAI | undefined;
    let child: Child | undefined;
    try {
      const show = (line: string) => progress.say(line);
      const telegram = { BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, SUPPORT_CHAT_ID: groups.join(',') };
      if (spec.bot === 'app') {
        database = await ctx.database.create(spec.label);
        child = startApp({ ...telegram, DATABASE_URL: database.url, DEFAULT_LANGUAGE: 'ru', SUPPORT_LANGUAGE: 'en', ...spec.env }, show, ctx.profileDir);
      } else if (spec.bot === 'minimal') {
        child = startBenchBot('minimal bot', 'minimal-bot.ts', telegram, show);
      } else {
        database = await ctx.database.create(spec.label);
        fake = new FakeOpenAI({ apiKey: 'sk-bench', latencyMs: ctx.seedAiMs });
        const baseUrl = await fake.start();
        child = startBenchBot('seed bot', 'seed-bot.ts', { ...telegram, DATABASE_URL: database.url, OPENAI_BASE_URL: baseUrl, OPENAI_API_KEY: 'sk-bench' }, show);
      }
      const started = child;
      await emu.waitFor(() => emu.callRecords('getUpdates').length > 0 || !started.running, {
        timeoutMs: BOT_START_TIMEOUT_MS,
        what: `the ${spec.bot} to start polling`,
      });
      started.assertRunning('starting');
    } catch (error) {
      await child?.stop();
      await fake?.stop();
      await emu.stop();
      await database?.drop();
      throw error;
    }
    return new Desk(spec.bot, spec.label, emu, tracker, child, database, fake, ctx.runId);
  }

  customers(count: number): Customer[] {
    return Array.from({ length: count }, () => {
      const index = this.nextCustomer++;
      const language = LANGUAGES[index % LANGUAGES.length];
      const user = this.emu.createUser({ first_name: `Bench ${this.label} ${index}`, language_code: language.code });
      // Fixed width, so that "…-0001" is never a prefix of "…-0010".
      const token = `req-${this.runId}-${this.label.replace(/[^a-z]/g, '')}-${String(index).padStart(4, '0')}`;
      return { user, index, language, token, text: `The app does not open after the update (${token})` };
    });
  }

  /**
   * Brings each customer to "describe your problem" (/start, language, category "other"), a few at a
   * time; the comparison bots have no menus and need nothing.
   */
  async prepare(customers: Customer[]): Promise<void> {
    if (this.bot !== 'app') return;
    let next = 0;
    let done = 0;
    progress.start(() => `${this.label}: ${done}/${customers.length} customers through the menus`);
    const worker = async () => {
      while (next < customers.length) {
        const customer = customers[next++];
        await this.dialogue(customer);
        done++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PREPARE_CONCURRENCY, customers.length) }, worker));
    } finally {
      progress.stop();
    }
    this.child.assertRunning('customers chose their topics');
  }

  /** The customer's first message, now; the returned sample is stamped as it moves through the bot. */
  send(customer: Customer): Sample {
    const sample = this.tracker.track(customer.token, customer.text, customer.user.id);
    sample.sentAt = performance.now();
    sample.messageId = this.emu.userSendText(customer.user.id, customer.text).message_id;
    return sample;
  }

  /** Every customer's first message in the same tick: one getUpdates batch, as a burst reaches Telegram. */
  burst(customers: Customer[]): Sample[] {
    return customers.map((customer) => this.send(customer));
  }

  async awaitAcks(samples: Sample[], timeoutMs: number, what: string): Promise<void> {
    await this.awaitAll(samples, (s) => s.ack, timeoutMs, `${what}: the acknowledgements`);
  }

  async awaitTopics(samples: Sample[], timeoutMs: number, what: string): Promise<void> {
    await this.awaitAll(samples, (s) => s.inTopic, timeoutMs, `${what}: the first messages in their topics`);
  }

  /**
   * `count` customers one after the other on the idle desk, each waiting for its acknowledgement (and,
   * with `topics`, its topic): the round trip with nothing else going on, and a warm-up for the JIT,
   * TypeORM's metadata and the pool's connections.
   */
  async probe(count: number, options: { topics?: boolean; gapMs?: number } = {}): Promise<Sample[]> {
    const customers = this.customers(count);
    await this.prepare(customers);
    const samples: Sample[] = [];
    for (const customer of customers) {
      const sample = this.send(customer);
      await this.awaitAcks([sample], STEP_TIMEOUT_MS, `probe ${customer.index}`);
      if (options.topics) await this.awaitTopics([sample], 120_000, `probe ${customer.index}`);
      samples.push(sample);
      await sleep(options.gapMs ?? 200);
    }
    return samples;
  }

  /** Stops the bot first (its usage read before), then the emulator, the fake AI and the database. */
  async close(): Promise<DeskReport> {
    const stopped = await this.child.stop();
    const { tracker } = this;
    await this.fakeOpenAI?.stop();
    await this.emu.stop();
    await this.database?.drop();
    return {
      bot: this.bot,
      ...stopped,
      emulator: {
        groupMessages: tracker.groupMessages,
        groupCalls: tracker.groupCalls,
        groupCallsByMethod: tracker.groupCallsByMethod,
        tooManyRequests: tracker.tooManyRequests,
        failedCalls: tracker.failedCalls,
      },
    };
  }

  private async awaitAll(samples: Sample[], which: (s: Sample) => { promise: Promise<void>; settled: boolean }, timeoutMs: number, what: string): Promise<void> {
    const exited = this.child.exited.then(() => {
      throw new Error(`${this.child.options.name} exited while waiting for ${what}:\n${this.child.log.tail.join('\n')}`);
    });
    exited.catch(() => undefined);
    try {
      await withTimeout(Promise.race([Promise.all(samples.map((s) => which(s).promise)), exited]), timeoutMs, what);
    } catch (error) {
      const missing = samples.filter((s) => !which(s).settled).length;
      throw new Error(`${(error as Error).message} (${missing} of ${samples.length} missing)`);
    }
  }

  /** /start, language, category: as a customer taps through the menus. */
  private async dialogue(customer: Customer): Promise<void> {
    const { user, language } = customer;
    const greeting = this.tracker.waitForBot(user.id, (m) => hasButton(m, `lang:${language.code}`), STEP_TIMEOUT_MS, `the greeting for ${user.first_name}`);
    this.emu.userSendText(user.id, '/start');
    const menu = await this.click(user, await greeting, `lang:${language.code}`, language.choose);
    await this.click(user, menu, 'cat:other', language.describe);
  }

  /** Clicks a button of `menu` and waits until the bot has edited that menu to the next step. */
  private async click(user: TgUser, menu: TgMessage, data: string, expect: RegExp): Promise<TgMessage> {
    const edited = this.tracker.waitForBot(
      user.id,
      (m) => m.message_id === menu.message_id && expect.test(m.text ?? ''),
      STEP_TIMEOUT_MS,
      `${expect} after ${user.first_name} clicked ${data}`,
    );
    try {
      this.emu.userClick(user.id, menu.message_id, data);
    } catch (error) {
      edited.catch(() => undefined); // its timeout would otherwise surface later as an unhandled rejection
      throw error;
    }
    return edited;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a desk, runs `work` on it and closes it, also when `work` fails. */
export async function withDesk<T>(ctx: RunContext, spec: Parameters<typeof Desk.open>[1], work: (desk: Desk) => Promise<T>): Promise<{ result: T; report: DeskReport }> {
  const desk = await Desk.open(ctx, spec);
  let result: T;
  try {
    result = await work(desk);
  } catch (error) {
    await desk.close().catch(() => undefined);
    throw error;
  }
  return { result, report: await desk.close() };
}
