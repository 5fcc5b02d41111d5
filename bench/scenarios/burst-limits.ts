import { TELEGRAM_LIMITS, withDesk } from '../desk';
import { progress } from '../progress';
import { ackBreakdown, ackLatency, burst, median, round, Scenario, series, values, verdict, Verdict, Series } from '../scenario';
import { percentile } from '../stats';

const PROBES = 5;
const GLOBAL_PER_SECOND = TELEGRAM_LIMITS.globalPerSecond!;

/** The k-th acknowledgement (1-based) can go at floor((k-1)/30) s: the overall window's k-th slot. */
const slotMs = (k: number): number => Math.floor((k - 1) / GLOBAL_PER_SECOND) * 1000;

export const burstLimits: Scenario = {
  name: 'burst-limits',
  description:
    "Bursts of customers at once with the emulator enforcing Telegram's limits (30/s overall, 1/s and a burst of 3 per chat, 20/min " +
    "per group) and the app at its default limits. Bound for the k-th acknowledgement: the idle round trip (median ack latency of " +
    'probes sent one by one just before) plus the start of the k-th slot of the 30/s window, floor((k-1)/30) s; the p99 is compared ' +
    'with the bound of its rank.',
  async run(ctx, options) {
    const say = (line: string) => progress.say(line);
    const sizes = [...new Set([options.smallBurst, options.customers])].sort((a, b) => a - b);
    const verdicts: Verdict[] = [];
    const seriesList: Series[] = [];
    const details: Record<string, unknown> = {};
    const processes = [];
    let elu = 0;
    for (const n of sizes) {
      const run = await withDesk(ctx, { bot: 'app', label: `burst-limits-${n}`, limits: TELEGRAM_LIMITS }, async (desk) => {
        // Probes wait for their topics, so that their group traffic is over before the burst.
        const probes = await desk.probe(PROBES, { topics: true });
        return { probes, ...(await burst(desk, n, say)) };
      });
      const { samples, ack, probes } = run.result;
      const rtt = median(values(probes, ackLatency));
      const latencies = values(samples, ackLatency).sort((a, b) => a - b);
      const rank = Math.ceil(0.99 * latencies.length);
      const bound = rtt + slotMs(rank);
      const p99 = percentile(latencies, 99);
      // Each acknowledgement against the bound of its own rank: how far the tail is from the window's pace.
      const overBound = latencies.filter((v, i) => v > 1.1 * (rtt + slotMs(i + 1)) + 20).length;
      verdicts.push(
        verdict({
          label: `ack p99, ${n} at once, Telegram's limits`,
          figure: p99,
          bound,
          unit: 'ms',
          boundIs: `idle round trip ${round(rtt)} ms + slot ${rank} of the 30/s window (${slotMs(rank)} ms)`,
          target: 'p99 ≤ 1.1 × bound + 20 ms',
          met: p99 <= 1.1 * bound + 20,
        }),
      );
      seriesList.push(series(`burst-limits: app ack (${n})`, samples, ackLatency, 1.1 * bound + 20));
      details[`burst${n}`] = {
        ack,
        idleRoundTripMs: round(rtt),
        probeAcksMs: values(probes, ackLatency),
        p99Rank: rank,
        boundMs: round(bound),
        acksOverTheirRanksTarget: overBound,
        breakdown: ackBreakdown(samples),
        floodRefusals: run.report.emulator.tooManyRequests,
        cpuCoresJustBefore: run.result.idleCores,
        untilLastAck: run.result.untilLastAck,
      };
      processes.push(run.report);
      elu = Math.max(elu, run.result.elu);
    }
    return {
      name: this.name,
      description: this.description,
      parameters: { sizes, emulatorLimits: TELEGRAM_LIMITS, appRateLimits: 'defaults' },
      verdicts,
      series: seriesList,
      details,
      processes,
      benchEventLoopUtilization: elu,
      durationMs: 0,
    };
  },
};
