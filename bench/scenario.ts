import { performance } from 'node:perf_hooks';
import type { Desk, DeskReport, RunContext } from './desk';
import { progress } from './progress';
import { formatStats, LatencyStats, ms, summarize } from './stats';
import type { Sample } from './tracker';

/** Options of the run that shape the scenarios (see bench.ts for the variables). */
export interface ScenarioOptions {
  customers: number;
  smallBurst: number;
  capacityMinutes: number;
  capacityRates: number[];
}

/**
 * One figure against what it is compared with. `ratio` is figure / bound; `target` says when the
 * figure is good enough (they are the targets, reported, not asserted).
 */
export interface Verdict {
  label: string;
  figure: number;
  bound: number;
  unit: 'ms' | 'tickets/min';
  ratio: number;
  /** How the bound is made, in words. */
  boundIs: string;
  target: string;
  met: boolean;
}

/** A distribution for the chart, in milliseconds. */
export interface Series {
  label: string;
  values: number[];
  stats: LatencyStats | null;
  /** The value its p99 (or, for a few samples, its worst) should stay under; drawn as a marker. */
  target?: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  verdicts: Verdict[];
  series: Series[];
  /** Scenario-specific figures (breakdowns, per-step numbers). */
  details: Record<string, unknown>;
  /** Each bot process of the scenario: memory, CPU, its warnings, what it sent into the group. */
  processes: DeskReport[];
  /** The load generator's own event loop while it measured: near 1.0 would mean it was the bottleneck. */
  benchEventLoopUtilization: number;
  durationMs: number;
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: RunContext, options: ScenarioOptions): Promise<ScenarioResult>;
}

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function verdict(v: Omit<Verdict, 'ratio'> & { ratio?: number }): Verdict {
  return { ...v, figure: round(v.figure, 2), bound: round(v.bound, 2), ratio: round(v.ratio ?? v.figure / v.bound, 3) };
}

export function formatVerdict(v: Verdict): string {
  const show = (x: number) => (v.unit === 'ms' ? ms(x) : `${x} ${v.unit}`);
  return `${v.label}: ${show(v.figure)} vs ${show(v.bound)} (${v.boundIs}) → ratio ${v.ratio}; target ${v.target}: ${v.met ? 'met' : 'NOT met'}`;
}

export const ackLatency = (s: Sample): number | undefined => (s.sentAt !== undefined && s.ackAt !== undefined ? s.ackAt - s.sentAt : undefined);
export const topicLatency = (s: Sample): number | undefined => (s.sentAt !== undefined && s.inTopicAt !== undefined ? s.inTopicAt - s.sentAt : undefined);

export function values(samples: Sample[], of: (s: Sample) => number | undefined): number[] {
  return samples.flatMap((s) => {
    const v = of(s);
    return v === undefined ? [] : [round(v)];
  });
}

export function series(label: string, samples: Sample[], of: (s: Sample) => number | undefined, target?: number): Series {
  const list = values(samples, of);
  return { label, values: list, stats: summarize(list), target: target === undefined ? undefined : round(target) };
}

const between = (samples: Sample[], from: (s: Sample) => number | undefined, to: (s: Sample) => number | undefined): LatencyStats | null =>
  summarize(
    samples.flatMap((s) => {
      const a = from(s);
      const b = to(s);
      return a !== undefined && b !== undefined ? [b - a] : [];
    }),
  );

/**
 * Where an acknowledgement's time goes: the emulator handing the update over (a long poll answered),
 * the bot's handling until its sendMessage reaches the emulator, and that call itself.
 */
export function ackBreakdown(samples: Sample[]) {
  return {
    delivery: between(samples, (s) => s.sentAt, (s) => s.deliveredAt),
    handlingUntilAckCall: between(samples, (s) => s.deliveredAt, (s) => s.ackCallAt),
    ackCall: between(samples, (s) => s.ackCallAt, (s) => s.ackAt),
    acksNotReplying: samples.filter((s) => s.ackAt !== undefined && !s.ackIsReply).length,
  };
}

/** The median of a few probes: the round trip of one customer on the idle desk. */
export function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
}

/** Measures the bench process's own event loop over `work`. */
export async function measured<T>(work: () => Promise<T>): Promise<{ result: T; elu: number; durationMs: number }> {
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  const result = await work();
  return { result, elu: round(performance.eventLoopUtilization(before).utilization, 2), durationMs: Math.round(performance.now() - started) };
}

/**
 * One burst on a desk that is up: `count` customers prepared (menus), a pause so that the app is idle
 * and Telegram's windows are empty, then every first message at once; resolves when all are acknowledged.
 */
export async function burst(desk: Desk, count: number, say: (line: string) => void, options: { settleMs?: number } = {}) {
  const customers = desk.customers(count);
  await desk.prepare(customers);
  desk.child.sampler.mark();
  await new Promise((r) => setTimeout(r, options.settleMs ?? 1500));
  // The bot's CPU while it waited: near zero means nothing of the preparation was still running.
  const idleCores = desk.child.sampler.usage().cpuCoresMeasured;
  desk.child.sampler.mark();
  const { result: samples, elu } = await measured(async () => {
    const list = desk.burst(customers);
    progress.start(() => `${desk.label} (${desk.bot}): ${list.filter((s) => s.ack.settled).length}/${count} acknowledged`);
    try {
      await desk.awaitAcks(list, 120_000, desk.label);
    } finally {
      progress.stop();
    }
    return list;
  });
  // From the burst to the last acknowledgement: how busy the bot was, and its writes (statements, requests) per customer.
  const untilAcks = desk.child.sampler.usage();
  const untilLastAck = {
    cpuCores: untilAcks.cpuCoresMeasured,
    cpuMsPerCustomer: untilAcks.cpuSecondsMeasured === null ? null : round((untilAcks.cpuSecondsMeasured * 1000) / count),
    writeSyscallsPerCustomer: untilAcks.writeSyscallsMeasured === null ? null : round(untilAcks.writeSyscallsMeasured / count),
  };
  const ack = summarize(values(samples, ackLatency));
  const busy =
    untilLastAck.cpuCores === null
      ? ''
      : ` | until the last ack the ${desk.bot} used ${untilLastAck.cpuCores} of a core, ${untilLastAck.cpuMsPerCustomer} ms CPU and ${untilLastAck.writeSyscallsPerCustomer ?? '?'} write calls per customer`;
  say(`  ${desk.label} (${desk.bot}): ack ${formatStats(ack)}${busy}`);
  return { samples, ack, elu, idleCores, untilLastAck };
}
