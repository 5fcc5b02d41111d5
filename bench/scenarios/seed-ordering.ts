import { LIFTED_LIMITS_ENV, withDesk } from '../desk';
import { progress } from '../progress';
import { ackBreakdown, ackLatency, burst, round, Scenario, series, topicLatency, values, verdict } from '../scenario';
import { summarize } from '../stats';

const PROBES = 3;
const SPEEDUP_TARGET = 50;

export const seedOrdering: Scenario = {
  name: 'seed-ordering',
  description:
    "The original system's order as a bot of its own (bench/bots/seed-bot.ts): for each first message an AI title from the fake " +
    'OpenAI server (answering after BENCH_SEED_AI_MS), createForumTopic, the ticket saved in PostgreSQL, copyMessage into the topic, ' +
    'and only then the acknowledgement. The same burst of N customers against the app and against it, each on an unlimited emulator ' +
    "(Telegram's limits would only make the seed ordering slower: its acknowledgements would wait for the group's 20 a minute).",
  async run(ctx, options) {
    const say = (line: string) => progress.say(line);
    const n = options.customers;
    const app = await withDesk(ctx, { bot: 'app', label: 'seed-ordering-app', env: LIFTED_LIMITS_ENV }, async (desk) => {
      await desk.probe(PROBES, { topics: true });
      return burst(desk, n, say);
    });
    const seed = await withDesk(ctx, { bot: 'seed', label: 'seed-ordering-seed' }, async (desk) => {
      await desk.probe(1, { gapMs: 500 });
      const measured = await burst(desk, n, say);
      await desk.awaitTopics(measured.samples, 60_000, desk.label);
      return measured;
    });
    const ours = app.result.ack!.p99;
    const theirs = seed.result.ack!.p99;
    const speedup = theirs / ours;
    return {
      name: this.name,
      description: this.description,
      parameters: { customers: n, aiTitleMs: ctx.seedAiMs, emulator: 'unlimited', appRateLimits: LIFTED_LIMITS_ENV },
      verdicts: [
        verdict({
          label: `ack p99, ${n} at once, against the original order`,
          figure: ours,
          bound: theirs,
          unit: 'ms',
          boundIs: `the seed-ordering bot's ack p99 (AI title ${ctx.seedAiMs} ms)`,
          target: `ratio ≤ ${1 / SPEEDUP_TARGET} (≥ ${SPEEDUP_TARGET}× faster)`,
          met: speedup >= SPEEDUP_TARGET,
        }),
      ],
      series: [
        series(`seed-ordering: app ack (${n})`, app.result.samples, ackLatency, theirs / SPEEDUP_TARGET),
        series(`seed-ordering: seed bot ack (${n})`, seed.result.samples, ackLatency),
      ],
      details: {
        speedup: round(speedup, 1),
        app: { ack: app.result.ack, breakdown: ackBreakdown(app.result.samples), untilLastAck: app.result.untilLastAck },
        seedBot: {
          ack: seed.result.ack,
          breakdown: ackBreakdown(seed.result.samples),
          // The seed's copy lands before its acknowledgement: what it made customers wait for.
          copyInTopic: summarize(values(seed.result.samples, topicLatency)),
          ackWithoutTheAiTitleP99Ms: round(theirs - ctx.seedAiMs),
        },
      },
      processes: [app.report, seed.report],
      benchEventLoopUtilization: Math.max(app.result.elu, seed.result.elu),
      durationMs: 0,
    };
  },
};
