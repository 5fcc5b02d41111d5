import { performance } from 'node:perf_hooks';
import { sleep, TELEGRAM_LIMITS, withDesk } from '../desk';
import { progress } from '../progress';
import { measured, round, Scenario, series, topicLatency, verdict } from '../scenario';
import { ms, slope, summarize } from '../stats';
import type { Sample } from '../tracker';

/**
 * A step's lag is bounded when it grows by less than this per second of the step (3 s a minute). At a
 * rate above the group's capacity C it grows by 1 - C/rate (12/min against 10/min: 0.17 s/s).
 */
const MAX_GROWTH_S_PER_S = 0.05;
const GROUP_PER_MINUTE = TELEGRAM_LIMITS.perGroupPerMinute!;

interface Step {
  rate: number;
  startMs: number;
  samples: Sample[];
}

export const capacity: Scenario = {
  name: 'capacity',
  description:
    "A steady stream of new tickets (evenly spaced first messages) at rising rates, Telegram's limits enforced, the app at its " +
    'defaults. Per step the topic lag (first message to its topic) is fitted against time: bounded when it grows by less than ' +
    `${MAX_GROWTH_S_PER_S} s per s. The figure is the highest rate up to which every step is bounded; the bound is the group's ` +
    `${GROUP_PER_MINUTE} messages a minute divided by the group messages each ticket cost (counted from the emulator's records).`,
  async run(ctx, options) {
    const say = (line: string) => progress.say(line);
    const rates = options.capacityRates;
    const stepMs = (options.capacityMinutes * 60_000) / rates.length;
    const plan = rates.map((rate) => ({ rate, count: Math.max(1, Math.round((rate * stepMs) / 60_000)), intervalMs: 60_000 / rate }));
    const total = plan.reduce((n, p) => n + p.count, 0);

    const run = await withDesk(ctx, { bot: 'app', label: 'capacity', limits: TELEGRAM_LIMITS }, async (desk) => {
      await desk.probe(1, { topics: true });
      const customers = desk.customers(total);
      await desk.prepare(customers);
      await sleep(4000);
      const groupBefore = { messages: desk.tracker.groupMessages, calls: desk.tracker.groupCalls, refused: desk.tracker.tooManyRequests };
      desk.child.sampler.mark();
      const steps: Step[] = [];
      const all: Sample[] = [];
      const t0 = performance.now();
      let current = 0;
      progress.start(() => {
        const inTopics = all.filter((s) => s.inTopic.settled).length;
        const last = [...all].reverse().find((s) => s.inTopicAt !== undefined);
        const usage = desk.child.sampler.usage();
        return (
          `capacity: step ${current + 1}/${plan.length} (${plan[Math.min(current, plan.length - 1)].rate}/min), ${all.length}/${total} sent, ` +
          `${inTopics} in topics, last lag ${last ? ms(topicLatency(last)!) : '-'}` +
          (usage.peakRssMiB !== null ? `, app peak RSS ${usage.peakRssMiB} MiB` : '')
        );
      });
      const streamed = await measured(async () => {
        try {
          let next = 0;
          for (const [i, p] of plan.entries()) {
            current = i;
            const startMs = i * stepMs;
            const step: Step = { rate: p.rate, startMs, samples: [] };
            steps.push(step);
            for (let k = 0; k < p.count; k++) {
              const due = t0 + startMs + k * p.intervalMs;
              const wait = due - performance.now();
              if (wait > 0) await sleep(wait);
              desk.child.assertRunning('tickets streamed in');
              const sample = desk.send(customers[next++]);
              step.samples.push(sample);
              all.push(sample);
            }
            const stepEnd = t0 + startMs + stepMs;
            if (stepEnd > performance.now()) await sleep(stepEnd - performance.now());
            const lags = step.samples.flatMap((s) => (s.inTopicAt !== undefined ? [s.inTopicAt - s.sentAt!] : []));
            say(`  capacity: ${p.rate}/min done, ${step.samples.length} tickets, ${lags.length} in their topics by the step's end`);
          }
          await desk.awaitTopics(all, Math.max(180_000, stepMs * 2), 'capacity');
        } finally {
          progress.stop();
        }
      });
      // Anything the last tickets still send into the group (none expected after the card) is counted too.
      await sleep(2000);
      return {
        steps,
        t0,
        elu: streamed.elu,
        group: {
          messages: desk.tracker.groupMessages - groupBefore.messages,
          calls: desk.tracker.groupCalls - groupBefore.calls,
          refused: desk.tracker.tooManyRequests - groupBefore.refused,
        },
      };
    });

    const { steps, t0, group } = run.result;
    const tickets = steps.reduce((n, s) => n + s.samples.length, 0);
    const perTicket = group.messages / tickets;
    const stepReports = steps.map((step) => {
      const points = step.samples.map((s) => ({ x: (s.sentAt! - t0) / 1000, y: topicLatency(s)! / 1000 }));
      const growth = slope(points);
      const third = Math.max(1, Math.floor(points.length / 3));
      const mean = (list: { y: number }[]) => round((list.reduce((a, p) => a + p.y, 0) / list.length) * 1000);
      return {
        ratePerMinute: step.rate,
        tickets: step.samples.length,
        lag: summarize(step.samples.map((s) => topicLatency(s)!)),
        lagGrowthSPerS: Number.isFinite(growth) ? round(growth, 4) : null,
        lagFirstThirdMeanMs: mean(points.slice(0, third)),
        lagLastThirdMeanMs: mean(points.slice(-third)),
        // Fewer than three tickets (a very short run) say nothing about growth: counted as bounded.
        bounded: points.length < 3 || !Number.isFinite(growth) || growth < MAX_GROWTH_S_PER_S,
      };
    });
    let highest = 0;
    for (const step of stepReports) {
      if (!step.bounded) break;
      highest = step.ratePerMinute;
    }
    const ceiling = GROUP_PER_MINUTE / perTicket;
    for (const s of stepReports) {
      say(`  capacity ${s.ratePerMinute}/min: lag p50 ${ms(s.lag!.p50)}, max ${ms(s.lag!.max)}, growth ${s.lagGrowthSPerS} s/s → ${s.bounded ? 'bounded' : 'growing'}`);
    }
    return {
      name: this.name,
      description: this.description,
      parameters: { minutes: options.capacityMinutes, ratesPerMinute: rates, stepSeconds: round(stepMs / 1000), emulatorLimits: TELEGRAM_LIMITS, appRateLimits: 'defaults' },
      verdicts: [
        verdict({
          label: `highest rate with bounded topic lag, one group${stepReports.every((r) => r.bounded) ? ' (every rate tried was bounded: at least this)' : ''}`,
          figure: highest,
          bound: round(ceiling, 2),
          unit: 'tickets/min',
          boundIs: `${GROUP_PER_MINUTE} group messages/min ÷ ${round(perTicket, 2)} per ticket`,
          target: '≥ 9 tickets/min',
          met: highest >= 9,
        }),
      ],
      series: steps.map((step) => series(`capacity: topic lag at ${step.rate}/min (${step.samples.length})`, step.samples, topicLatency)),
      details: {
        groupMessagesPerTicket: round(perTicket, 2),
        groupCallsPerTicket: round(group.calls / tickets, 2),
        groupFloodRefusals: group.refused,
        steps: stepReports,
        timeline: steps.flatMap((step) =>
          step.samples.map((s) => ({ rate: step.rate, sentAtS: round((s.sentAt! - t0) / 1000, 2), lagS: round(topicLatency(s)! / 1000, 3) })),
        ),
      },
      processes: [run.report],
      benchEventLoopUtilization: run.result.elu,
      durationMs: 0,
    };
  },
};
