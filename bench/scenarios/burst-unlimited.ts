import { LIFTED_LIMITS_ENV, withDesk } from '../desk';
import { progress } from '../progress';
import { ackBreakdown, ackLatency, burst, median, round, Scenario, series, topicLatency, values, verdict } from '../scenario';
import { summarize } from '../stats';

const PROBES = 3;

export const burstUnlimited: Scenario = {
  name: 'burst-unlimited',
  description:
    'N customers (already past the menus) send their first message at the same moment; the emulator enforces no limits and the ' +
    "app's limits are lifted. Beside it, the same burst against a minimal ack-first bot that stores nothing (bench/bots/minimal-bot.ts): " +
    'the ratio of the two ack p99s is the price of the intake path (inbox, ticket, messages, jobs in PostgreSQL before the ack).',
  async run(ctx, options) {
    const say = (line: string) => progress.say(line);
    const n = options.customers;

    const app = await withDesk(ctx, { bot: 'app', label: 'burst-unlimited', env: LIFTED_LIMITS_ENV }, async (desk) => {
      const probes = await desk.probe(PROBES, { topics: true });
      const measured = await burst(desk, n, say);
      await desk.awaitTopics(measured.samples, 120_000, desk.label);
      return { ...measured, probes };
    });
    const minimal = await withDesk(ctx, { bot: 'minimal', label: 'burst-unlimited-minimal' }, async (desk) => {
      await desk.probe(PROBES);
      return burst(desk, n, say);
    });

    const ours = app.result;
    const floor = minimal.result;
    const ourP99 = ours.ack!.p99;
    const floorP99 = floor.ack!.p99;
    return {
      name: this.name,
      description: this.description,
      parameters: { customers: n, emulator: 'unlimited', appRateLimits: LIFTED_LIMITS_ENV },
      verdicts: [
        verdict({
          label: `ack p99, ${n} at once, no limits`,
          figure: ourP99,
          bound: floorP99,
          unit: 'ms',
          boundIs: "the minimal no-database bot's ack p99",
          target: 'ratio ≤ 2',
          met: ourP99 <= 2 * floorP99,
        }),
      ],
      series: [
        series(`burst-unlimited: app ack (${n})`, ours.samples, ackLatency, 2 * floorP99),
        series(`burst-unlimited: minimal bot ack (${n})`, floor.samples, ackLatency),
      ],
      details: {
        app: {
          ack: ours.ack,
          topic: summarize(values(ours.samples, topicLatency)),
          breakdown: ackBreakdown(ours.samples),
          idleRoundTripMs: round(median(values(ours.probes, ackLatency))),
          cpuCoresJustBefore: ours.idleCores,
          untilLastAck: ours.untilLastAck,
        },
        minimalBot: { ack: floor.ack, breakdown: ackBreakdown(floor.samples), untilLastAck: floor.untilLastAck },
        ratioOfP99: round(ourP99 / floorP99, 2),
        ratioOfP50: round(ours.ack!.p50 / floor.ack!.p50, 2),
      },
      processes: [app.report, minimal.report],
      benchEventLoopUtilization: Math.max(ours.elu, floor.elu),
      durationMs: 0,
    };
  },
};
