/**
 * `npm run bench [-- scenario ...]`: the app's speed under load, end to end. The app runs as production
 * runs it (the build, `node dist/src/main.js`, a process of its own); this process holds the Bot API
 * emulator and the simulated customers, so the load generator never shares the app's event loop.
 * Each scenario starts a fresh emulator, a fresh database and a fresh app (see README, "Benchmark").
 *
 * Writes bench/results/latest.json and latest.svg, and a timestamped copy of each.
 *
 * Environment: DATABASE_URL (a server to create scratch databases on; unset: the embedded PostgreSQL in
 * data/bench-postgres), BENCH_SCENARIOS (comma-separated; or the names as arguments), BENCH_CUSTOMERS
 * (100), BENCH_SMALL_BURST (25), BENCH_CAPACITY_MINUTES (10), BENCH_CAPACITY_RATES (4,6,8,10,12),
 * BENCH_SEED_AI_MS (4000), BENCH_BUILD (1; 0 uses dist/ as it is), BENCH_APP_PROFILE (1: a CPU profile of each app
 * process into bench/results/profiles), BENCH_TIMEOUT_S (whole run).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderChart } from './chart';
import { Child, REPO_ROOT } from './child';
import { provisionDatabase } from './database';
import type { RunContext } from './desk';
import { progress } from './progress';
import { formatVerdict, ScenarioOptions, ScenarioResult, Verdict } from './scenario';
import { SCENARIOS } from './scenarios';
import { Teardown, withTimeout } from './timeouts';

const RESULTS_DIR = join(__dirname, 'results');
const DB_START_TIMEOUT_MS = 90_000;
const TEARDOWN_STEP_TIMEOUT_MS = 30_000;

const DEFAULTS = { customers: 100, smallBurst: 25, capacityMinutes: 10, capacityRates: [4, 6, 8, 10, 12], seedAiMs: 4000 };

interface Options extends ScenarioOptions {
  scenarios: string[];
  seedAiMs: number;
  build: boolean;
  profile: boolean;
  timeoutS: number;
}

const out = (line: string): void => progress.say(line);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

function readOptions(argv: string[]): Options {
  const raw = (name: string) => process.env[name]?.trim() || undefined;
  const number = (name: string, fallback: number, min: number, integer = true): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${value}"`);
    return n;
  };
  const names = [...argv.filter((a) => !a.startsWith('-')), ...(raw('BENCH_SCENARIOS')?.split(',') ?? [])].map((s) => s.trim()).filter(Boolean);
  const known = SCENARIOS.map((s) => s.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const rates = (raw('BENCH_CAPACITY_RATES') ?? DEFAULTS.capacityRates.join(',')).split(',').map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error(`BENCH_CAPACITY_RATES must be positive numbers, got "${raw('BENCH_CAPACITY_RATES')}"`);
  const capacityMinutes = number('BENCH_CAPACITY_MINUTES', DEFAULTS.capacityMinutes, 0.5, false);
  const scenarios = names.length ? known.filter((n) => names.includes(n)) : known;
  return {
    scenarios,
    customers: number('BENCH_CUSTOMERS', DEFAULTS.customers, 1),
    smallBurst: number('BENCH_SMALL_BURST', DEFAULTS.smallBurst, 1),
    capacityMinutes,
    capacityRates: [...rates].sort((a, b) => a - b),
    seedAiMs: number('BENCH_SEED_AI_MS', DEFAULTS.seedAiMs, 0),
    build: raw('BENCH_BUILD') !== '0',
    profile: raw('BENCH_APP_PROFILE') === '1',
    // Everything but the capacity stream takes a few minutes; the stream drains for at most its own length again.
    timeoutS: number('BENCH_TIMEOUT_S', Math.round(900 + (scenarios.includes('capacity') ? capacityMinutes * 60 * 2 : 0)), 30),
  };
}

function build(): void {
  const started = performance.now();
  out('bench: building the app (npm run build)');
  const result = spawnSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`the build failed:\n${result.stdout}${result.stderr}`);
  out(`bench: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function git(args: string[]): string | null {
  const result = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 5000 });
  return result.status === 0 ? result.stdout.trim() : null;
}

function machine() {
  const list = cpus();
  return {
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    cpus: list.length,
    cpuModel: list[0]?.model ?? null,
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    loadAverage1mAtStart: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** The report's table, one line per verdict, for the terminal. */
function summaryLines(results: ScenarioResult[], failures: { name: string; error: string }[]): string[] {
  const lines = ['', 'bench: summary'];
  for (const r of results) for (const v of r.verdicts) lines.push(`  ${v.met ? '✓' : '✗'} ${r.name} | ${formatVerdict(v)}`);
  for (const f of failures) lines.push(`  ✗ ${f.name} | FAILED: ${f.error.split('\n')[0]}`);
  return lines;
}

async function main(options: Options, teardown: Teardown): Promise<boolean> {
  const startedAt = new Date();
  const started = performance.now();
  const host = machine();
  out(`bench: ${options.scenarios.join(', ')} on ${host.cpus} × ${host.cpuModel ?? 'unknown CPU'}, Node ${process.version}`);
  if (options.build) build();
  else if (!existsSync(join(REPO_ROOT, 'dist/src/main.js'))) throw new Error('dist/src/main.js does not exist: run npm run build (or leave BENCH_BUILD unset)');

  const database = await withTimeout(provisionDatabase(REPO_ROOT), DB_START_TIMEOUT_MS, 'PostgreSQL');
  teardown.add(database.kind === 'server' ? 'the scratch databases' : 'the embedded PostgreSQL', () => database.release());
  out(`bench: PostgreSQL ${database.kind} (${database.version.split(' ').slice(0, 2).join(' ')}, max_connections ${database.maxConnections})`);

  const profileDir = options.profile ? join(RESULTS_DIR, 'profiles') : undefined;
  if (profileDir) out(`bench: the app writes CPU profiles into ${relative(process.cwd(), profileDir)}`);
  const ctx: RunContext = { runId: randomBytes(3).toString('hex'), database, seedAiMs: options.seedAiMs, profileDir };
  const results: ScenarioResult[] = [];
  const failures: { name: string; error: string }[] = [];
  for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.name))) {
    out(`\n▶ ${scenario.name}`);
    const t = performance.now();
    try {
      const result = await scenario.run(ctx, options);
      result.durationMs = Math.round(performance.now() - t);
      results.push(result);
      for (const v of result.verdicts) out(`  ${v.met ? '✓' : '✗'} ${formatVerdict(v)}`);
      for (const p of result.processes) {
        const u = p.usage;
        const memory = u.source === 'proc' ? `peak RSS ${u.peakRssMiB} MiB, CPU ${u.cpuSeconds} s (${u.cpuSecondsMeasured} s measured)` : 'memory and CPU unavailable';
        const warnings = p.log.reduce((n, k) => n + k.count, 0);
        out(`  ${p.bot}: ${memory}${warnings ? `, ${warnings} log line(s) at warn or above` : ''}`);
      }
      out(`  (${(result.durationMs / 1000).toFixed(0)} s)`);
    } catch (error) {
      const message = (error as Error).message;
      failures.push({ name: scenario.name, error: message });
      err(`  ✗ ${scenario.name} failed: ${message}`);
    }
  }

  const complete =
    failures.length === 0 &&
    options.scenarios.length === SCENARIOS.length &&
    options.customers === DEFAULTS.customers &&
    options.smallBurst === DEFAULTS.smallBurst &&
    options.capacityMinutes === DEFAULTS.capacityMinutes &&
    options.capacityRates.join() === DEFAULTS.capacityRates.join() &&
    options.seedAiMs === DEFAULTS.seedAiMs;
  const summary: (Verdict & { scenario: string })[] = results.flatMap((r) => r.verdicts.map((v) => ({ scenario: r.name, ...v })));
  const report = {
    benchmark: 'helpdesk',
    date: startedAt.toISOString(),
    durationS: Math.round((performance.now() - started) / 1000),
    complete,
    git: { commit: git(['rev-parse', '--short', 'HEAD']), dirty: (git(['status', '--porcelain', '--', 'src', 'bench', 'package.json', ':!bench/results']) ?? '') !== '' },
    node: process.version,
    machine: { ...host, loadAverage1mAtEnd: Math.round(loadavg()[0] * 100) / 100 },
    database: { kind: database.kind, version: database.version, maxConnections: database.maxConnections },
    options: { ...options, timeoutS: undefined, build: undefined, profile: undefined },
    notes: [
      'Times in ms, measured in the bench process from the moment a customer message is put into the emulator (performance.now()) to the moment the bot\'s message is stored there.',
      'The app is the build (node dist/src/main.js) in a process of its own; the comparison bots too. The emulator, the fake OpenAI server and the customers run in the bench process.',
      'Memory (VmHWM) and CPU (utime + stime) of each bot process come from /proc, sampled every 250 ms; "measured" is the CPU time from just before the measured phase to the stop.',
      'Targets are the issue\'s, reported here, not asserted.',
    ],
    summary,
    failures,
    scenarios: results,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  // ISO 8601 with ':' and '.' replaced: file names stay valid on every filesystem.
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const subtitle =
    `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${host.cpus} × ${host.cpuModel ?? 'unknown CPU'} · Node ${process.version} · ` +
    `PostgreSQL ${database.version.split(' ')[1] ?? ''} · commit ${report.git.commit ?? '?'}${complete ? '' : ' · partial run'}`;
  const svg = renderChart('helpdesk: npm run bench', subtitle, results);
  for (const [name, content] of [
    [`${stamp}.json`, json],
    ['latest.json', json],
    [`${stamp}.svg`, svg],
    ['latest.svg', svg],
  ]) {
    writeFileSync(join(RESULTS_DIR, name), content);
  }
  for (const line of summaryLines(results, failures)) out(line);
  out(`\nbench: ${relative(process.cwd(), join(RESULTS_DIR, 'latest.json'))} and latest.svg written (${report.durationS} s${complete ? '' : ', partial run'})`);
  return failures.length === 0;
}

const options = (() => {
  try {
    return readOptions(process.argv.slice(2));
  } catch (error) {
    err(`bench: ${(error as Error).message}`);
    process.exit(2);
  }
})();
const teardown = new Teardown();
let finished = false;

async function finish(error: Error | undefined, ok = true): Promise<never> {
  if (finished) return new Promise<never>(() => undefined);
  finished = true;
  progress.stop();
  if (error) err(`bench: FAILED: ${error.message}`);
  // Bots still running (an interrupted scenario) go first: they hold connections to the databases.
  await Promise.all([...Child.live].map((child) => child.stop().catch(() => undefined)));
  const cleaned = await teardown.run(TEARDOWN_STEP_TIMEOUT_MS, err);
  process.exit(error || !ok || !cleaned ? 1 : 0);
}

process.on('unhandledRejection', (reason) => void finish(reason instanceof Error ? reason : new Error(String(reason))));
process.once('SIGINT', () => void finish(new Error('interrupted (SIGINT)')));
process.once('SIGTERM', () => void finish(new Error('terminated (SIGTERM)')));
const deadline = setTimeout(() => void finish(new Error(`the benchmark did not finish within ${options.timeoutS} s (BENCH_TIMEOUT_S)`)), options.timeoutS * 1000);

process.chdir(REPO_ROOT);
main(options, teardown).then(
  (ok) => {
    clearTimeout(deadline);
    return finish(undefined, ok);
  },
  (error: Error) => finish(error),
);
