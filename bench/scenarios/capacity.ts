import { performance } from 'node:perf_hooks';
import { sleep, TELEGRAM_LIMITS, withDesk } from '../desk';
import { progress } from '../progress';
import { measured, round, Scenario, series, topicLatency, verdict } from '../scenario';
import { ms, slope, summarize } from '../stats';
import type { Sample } from '../tracker';

/**
 * The backlog's age (the oldest first message not yet in its topic) keeps growing when it rises by more
 * than this per second of the step, 3 s a minute. Above the group's capacity it rises by about 1 s per s
 * whatever the order of service (the oldest one keeps waiting); below it, it saw-tooths near zero.
 */
const MAX_GROWTH_S_PER_S = 0.05;
/** Waits shorter than this are the pace window's (3 sends per 3 s into the group), not a backlog. */
const SMALL_AGE_S = 10;
const SAMPLE_EVERY_MS = 500;
const GROUP_PER_MINUTE = TELEGRAM_LIMITS.perGroupPerMinute!;

interface Step {
  rate: number;
  startMs: number;
  samples: Sample[];
}

/** The backlog at one moment of the stream. */
interface BacklogPoint {
  atS: number;
  waiting: number;
  oldestS: number;
}

/** The stream at `groups` support groups: the same shape, its rates scaled by the number of groups. */
function capacityScenario(name: string, groups: number): Scenario {
  const where = groups === 1 ? 'one group' : `${groups} groups`;
  return {
    name,
    description:
      `${where}: ` +
      "A steady stream of new tickets (evenly spaced first messages) at rising rates, Telegram's limits enforced, the app at its " +
      'defaults. Twice a second the backlog is sampled: the age of the oldest first message not yet in its topic. A step is bounded ' +
      `when that age stays under ${SMALL_AGE_S} s or grows by less than ${MAX_GROWTH_S_PER_S} s per s over the step. The figure is the ` +
      `highest rate up to which every step is bounded; the bound is the group's ${GROUP_PER_MINUTE} messages a minute divided by the ` +
      "group messages each ticket cost (counted from the emulator's records), times the number of groups.",
    async run(ctx, options) {
      const say = (line: string) => progress.say(line);
      const rates = options.capacityRates.map((rate) => rate * groups);
      const stepMs = (options.capacityMinutes * 60_000) / rates.length;
      const plan = rates.map((rate) => ({ rate, count: Math.max(1, Math.round((rate * stepMs) / 60_000)), intervalMs: 60_000 / rate }));
      const total = plan.reduce((n, p) => n + p.count, 0);

      const run = await withDesk(ctx, { bot: 'app', label: name, limits: TELEGRAM_LIMITS, groups }, async (desk) => {
        await desk.probe(1, { topics: true });
        const customers = desk.customers(total);
        await desk.prepare(customers);
        await sleep(4000);
        const groupBefore = { messages: desk.tracker.groupMessages, calls: desk.tracker.groupCalls, refused: desk.tracker.tooManyRequests };
        desk.child.sampler.mark();
        const steps: Step[] = [];
        const all: Sample[] = [];
        const backlog: BacklogPoint[] = [];
        const t0 = performance.now();
        let current = 0;
        const waitingNow = () => {
          const now = performance.now();
          const waiting = all.filter((s) => !s.inTopic.settled);
          const oldest = waiting.length ? (now - Math.min(...waiting.map((s) => s.sentAt!))) / 1000 : 0;
          return { atS: (now - t0) / 1000, waiting: waiting.length, oldestS: oldest };
        };
        const sampler = setInterval(() => {
          const point = waitingNow();
          backlog.push({ atS: round(point.atS, 2), waiting: point.waiting, oldestS: round(point.oldestS, 2) });
        }, SAMPLE_EVERY_MS);
        progress.start(() => {
          const now = waitingNow();
          const usage = desk.child.sampler.usage();
          return (
            `${name}: step ${current + 1}/${plan.length} (${plan[Math.min(current, plan.length - 1)].rate}/min), ${all.length}/${total} sent, ` +
            `${now.waiting} waiting for their topics (oldest ${now.oldestS.toFixed(1)} s)` +
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
              const now = waitingNow();
              say(`  ${name}: ${p.rate}/min done, ${step.samples.length} tickets; ${now.waiting} waiting for their topics, the oldest for ${now.oldestS.toFixed(1)} s`);
            }
            await desk.awaitTopics(all, Math.max(180_000, stepMs * 2), name);
          } finally {
            clearInterval(sampler);
            progress.stop();
          }
        });
        // Anything the last tickets still send into the group (none expected after the card) is counted too.
        await sleep(2000);
        return {
          steps,
          t0,
          backlog,
          topicCalls: new Map(all.map((s) => [s, desk.tracker.topicCall(s)])),
          elu: streamed.elu,
          group: {
            messages: desk.tracker.groupMessages - groupBefore.messages,
            calls: desk.tracker.groupCalls - groupBefore.calls,
            refused: desk.tracker.tooManyRequests - groupBefore.refused,
          },
        };
      });

      const { steps, t0, group, topicCalls, backlog } = run.result;
      const tickets = steps.reduce((n, s) => n + s.samples.length, 0);
      const perTicket = group.messages / tickets;
      const stepReports = steps.map((step) => {
        const from = step.startMs / 1000;
        const to = from + stepMs / 1000;
        const ages = backlog.filter((p) => p.atS >= from && p.atS < to);
        const growth = slope(ages.map((p) => ({ x: p.atS, y: p.oldestS })));
        const oldest = Math.max(0, ...ages.map((p) => p.oldestS));
        const lags = step.samples.map((s) => topicLatency(s)!);
        return {
          ratePerMinute: step.rate,
          tickets: step.samples.length,
          lag: summarize(lags),
          backlogOldestMaxS: round(oldest, 2),
          backlogOldestAtEndS: ages.length ? ages[ages.length - 1].oldestS : 0,
          backlogWaitingAtEnd: ages.length ? ages[ages.length - 1].waiting : 0,
          backlogGrowthSPerS: Number.isFinite(growth) ? round(growth, 4) : null,
          bounded: oldest < SMALL_AGE_S || !Number.isFinite(growth) || growth < MAX_GROWTH_S_PER_S,
        };
      });
      let highest = 0;
      for (const step of stepReports) {
        if (!step.bounded) break;
        highest = step.ratePerMinute;
      }
      const ceiling = (groups * GROUP_PER_MINUTE) / perTicket;
      for (const s of stepReports) {
        say(
          `  ${name} ${s.ratePerMinute}/min: lag p50 ${ms(s.lag!.p50)}, max ${ms(s.lag!.max)}; oldest waiting up to ${s.backlogOldestMaxS} s, ` +
            `growing ${s.backlogGrowthSPerS} s/s → ${s.bounded ? 'bounded' : 'growing'}`,
        );
      }
      const allBounded = stepReports.every((r) => r.bounded);
      return {
        name: this.name,
        description: this.description,
        parameters: { groups, minutes: options.capacityMinutes, ratesPerMinute: rates, stepSeconds: round(stepMs / 1000), emulatorLimits: TELEGRAM_LIMITS, appRateLimits: 'defaults' },
        verdicts: [
          verdict({
            label: `highest rate with bounded topic lag, ${where}${allBounded ? ' (every rate tried was bounded: at least this)' : ''}`,
            figure: highest,
            bound: round(ceiling, 2),
            unit: 'tickets/min',
            boundIs: `${groups === 1 ? '' : `${groups} × `}${GROUP_PER_MINUTE} group messages/min ÷ ${round(perTicket, 2)} per ticket`,
            target: `≥ ${9 * groups} tickets/min`,
            met: highest >= 9 * groups,
          }),
        ],
        series: steps.map((step) => series(`${name}: app, topic lag at ${step.rate}/min (${step.samples.length})`, step.samples, topicLatency)),
        details: {
          groupMessagesPerTicket: round(perTicket, 2),
          groupCallsPerTicket: round(group.calls / tickets, 2),
          groupFloodRefusals: group.refused,
          steps: stepReports,
          timeline: steps.flatMap((step) =>
            step.samples.map((s) => {
              const call = topicCalls.get(s);
              return {
                rate: step.rate,
                sentAtS: round((s.sentAt! - t0) / 1000, 2),
                lagS: round(topicLatency(s)! / 1000, 3),
                // When the topic was asked for: the rest of the lag is the wait for the card's own slot.
                topicRequestedAfterS: call ? round((call.startedAt - s.sentAt!) / 1000, 3) : null,
              };
            }),
          ),
          backlog,
        },
        processes: [run.report],
        benchEventLoopUtilization: run.result.elu,
        durationMs: 0,
      };
    },
  };
}

export const capacity = capacityScenario('capacity', 1);
export const capacityTwoGroups = capacityScenario('capacity-2-groups', 2);
