import { performance } from 'node:perf_hooks';
import { BotApiEmulator } from '../../src/sandbox/emulator';
import { sleep, TELEGRAM_LIMITS, withDesk } from '../desk';
import { progress } from '../progress';
import { ackLatency, measured, median, round, Scenario, series, topicLatency, values, verdict } from '../scenario';
import { summarize } from '../stats';

const TICKETS = 3;
const SLACK_MS = 500;
const ROUND_TRIPS = 10;

/** createForumTopic over HTTP against an idle emulator of its own, as a bot on this machine sees it. */
async function topicRoundTrip(): Promise<number> {
  const emu = new BotApiEmulator();
  await emu.start();
  try {
    const url = `${emu.apiRoot}/bot${emu.token}/createForumTopic`;
    const once = async (i: number) => {
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: emu.supportChatId, name: `#${i} · Something else · The app does not open` }),
      });
      if (!((await response.json()) as { ok: boolean }).ok) throw new Error('createForumTopic failed on an idle emulator');
      return performance.now() - started;
    };
    await once(0); // the first call opens the connection
    const times: number[] = [];
    for (let i = 1; i <= ROUND_TRIPS; i++) times.push(await once(i));
    return median(times);
  } finally {
    await emu.stop();
  }
}

export const quietDesk: Scenario = {
  name: 'quiet-desk',
  description:
    `${TICKETS} customers open tickets at the same moment on an idle desk, Telegram's limits enforced, the app at its defaults: the time ` +
    "from each first message to the moment it is in its topic (in the card that carries it). Bound: the createForumTopic round trip " +
    `(median of ${ROUND_TRIPS} against an idle emulator) + ${SLACK_MS} ms. Beside it, the floor the group's own pace sets (the emulator ` +
    `keeps Telegram's "about one message per second in a chat" in the group too: a burst of 3, then 1 a second, so the last of the ` +
    `${2 * TICKETS} group sends cannot go before ${2 * TICKETS - 3} s), + the same round trip + ${SLACK_MS} ms.`,
  async run(ctx) {
    const say = (line: string) => progress.say(line);
    const rtt = await topicRoundTrip();
    const run = await withDesk(ctx, { bot: 'app', label: 'quiet-desk', limits: TELEGRAM_LIMITS }, async (desk) => {
      // One warm-up ticket, then the group's pace window (3 sends per 3 s) is left to empty.
      await desk.probe(1, { topics: true });
      const customers = desk.customers(TICKETS);
      await desk.prepare(customers);
      await sleep(4000);
      desk.child.sampler.mark();
      return measured(async () => {
        const samples = desk.burst(customers);
        progress.start(() => `quiet-desk: ${samples.filter((s) => s.inTopic.settled).length}/${TICKETS} first messages in their topics`);
        try {
          await desk.awaitTopics(samples, 120_000, 'quiet-desk');
        } finally {
          progress.stop();
        }
        return samples.map((s) => ({ sample: s, topicCall: desk.tracker.topicCall(s) }));
      });
    });
    const tickets = run.result.result;
    const samples = tickets.map((t) => t.sample);
    const bound = rtt + SLACK_MS;
    // The group's own pace (a burst of 3, then 1 a second) alone: the last of the 2 × 3 sends cannot go earlier.
    const paceFloor = Math.max(0, ((2 * TICKETS - TELEGRAM_LIMITS.perChatBurst!) / TELEGRAM_LIMITS.perChatPerSecond!) * 1000);
    const floorBound = paceFloor + rtt + SLACK_MS;
    const worst = Math.max(...values(samples, topicLatency));
    say(`  quiet-desk: in their topics after ${values(samples, topicLatency).map((v) => `${Math.round(v)} ms`).join(', ')}`);
    return {
      name: this.name,
      description: this.description,
      parameters: { tickets: TICKETS, emulatorLimits: TELEGRAM_LIMITS, appRateLimits: 'defaults' },
      verdicts: [
        verdict({
          label: `slowest of ${TICKETS} first messages in its topic`,
          figure: worst,
          bound,
          unit: 'ms',
          boundIs: `createForumTopic round trip ${round(rtt, 2)} ms + ${SLACK_MS} ms`,
          target: 'ratio ≤ 1',
          met: worst <= bound,
        }),
        verdict({
          label: `slowest of ${TICKETS} first messages in its topic, against the group's pace`,
          figure: worst,
          bound: floorBound,
          unit: 'ms',
          boundIs: `the group's pace floor ${paceFloor} ms + createForumTopic round trip ${round(rtt, 2)} ms + ${SLACK_MS} ms`,
          target: 'ratio ≤ 1',
          met: worst <= floorBound,
        }),
      ],
      series: [series(`quiet-desk: app, first message in its topic (${TICKETS})`, samples, topicLatency, bound)],
      details: {
        createForumTopicRoundTripMs: round(rtt, 2),
        groupPaceFloorMs: paceFloor,
        tickets: tickets.map(({ sample, topicCall }) => ({
          ackMs: round(ackLatency(sample) ?? NaN),
          createForumTopicCalledAtMs: topicCall && sample.sentAt !== undefined ? round(topicCall.startedAt - sample.sentAt) : null,
          inTopicAtMs: round(topicLatency(sample) ?? NaN),
          inCard: sample.inCard ?? null,
        })),
        topic: summarize(values(samples, topicLatency)),
      },
      processes: [run.report],
      benchEventLoopUtilization: run.result.elu,
      durationMs: 0,
    };
  },
};
