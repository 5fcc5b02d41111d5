import { DEFAULT_POOL_SIZE } from '../src/database/data-source-options';
import { PG_BOSS_POOL_SIZE } from '../src/jobs/pg-boss.driver';
import type { TgUser } from '../src/sandbox/emulator';
import { ChildDesk, startChildDesk } from './support/child-desk';
import { ackFor, rateLimitEnv, chooseCategory, sleep } from './support/test-desk';
import { topicMessages } from './support/topic-view';

/**
 * A surge against the support group's limit, enforced by the emulator: 30 customers open tickets and
 * write every "minute" for 5 "minutes", so the group falls behind. Telegram's budget is scaled by 6 on
 * both sides (120 group messages a minute, a "minute" of 10 s) to keep the run to about two minutes; the
 * mechanics are Telegram's. The app runs as the built app in a process of its own, so its /health answer
 * times are its own, not those of a loop it shares with the emulator and the test.
 */
const SCALE = 6;
const MINUTE_MS = 60_000 / SCALE;
const CUSTOMERS = 30;
const ROUNDS = 5;
const NEWCOMERS_PER_ROUND = 2;

describe('a surge that puts the support group minutes behind', () => {
  let desk: ChildDesk;
  const limits = { globalPerSecond: 30, perChatPerSecond: 1, perChatBurst: 3, perGroupPerSecond: SCALE / 3, perGroupPerMinute: 20 * SCALE };

  beforeAll(async () => {
    desk = await startChildDesk({ env: rateLimitEnv(limits) });
  }, 180_000);
  afterAll(() => desk?.close());

  it('acknowledges newcomers ahead of the backlog, stays healthy and within its connections, and drains every message once, in order', async () => {
    const { emu } = desk;
    const { port } = desk;
    const customers: TgUser[] = Array.from({ length: CUSTOMERS }, (_, i) => emu.createUser({ first_name: `Surge${i}`, language_code: 'en' }));
    for (let i = 0; i < customers.length; i += 10) await Promise.all(customers.slice(i, i + 10).map((user) => chooseCategory(emu, user)));
    emu.setLimits({ enforce: true, ...limits });

    const expected = new Map<number, string[]>();
    const write = (user: TgUser, text: string) => {
      emu.userSendText(user.id, text);
      expected.set(user.id, [...(expected.get(user.id) ?? []), text]);
    };
    const newcomers: TgUser[] = [];
    const wroteAt = new Map<number, number>();
    const unhealthy: string[] = [];
    const healthMs: number[] = [];
    let peakConnections = 0;
    let running = true;
    const observer = (async () => {
      while (running) {
        // The check must answer 200, and within a second (the requirement for /health, surge or not).
        const started = Date.now();
        const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) })
          .then((r) => (r.status === 200 ? undefined : `status ${r.status}`))
          .catch((error: Error) => error.message);
        healthMs.push(Date.now() - started);
        if (health) unhealthy.push(health);
        const [row] = await desk.sql<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`,
        );
        peakConnections = Math.max(peakConnections, Number(row.n));
        await sleep(1000);
      }
    })();

    try {
      for (let round = 0; round <= ROUNDS; round++) {
        for (const user of customers) write(user, `${user.first_name} ${round}`);
        for (let i = 0; i < NEWCOMERS_PER_ROUND && round > 0; i++) {
          const user = emu.createUser({ first_name: `Late${round}x${i}`, language_code: 'en' });
          await chooseCategory(emu, user);
          write(user, `${user.first_name} 0`);
          wroteAt.set(user.id, performance.now());
          newcomers.push(user);
        }
        if (round < ROUNDS) await sleep(MINUTE_MS);
      }
      for (const user of newcomers) await emu.waitFor(() => ackFor(emu, user.id), { what: `the acknowledgement of ${user.first_name}` });

      const everyone = [...customers, ...newcomers];
      const topicOf = (user: TgUser) => emu.topics().find((t) => t.name.endsWith(` · ${user.first_name} 0`));
      const copies = (user: TgUser) => {
        const topic = topicOf(user);
        if (!topic) return [];
        return topicMessages(emu, topic.message_thread_id)
          .filter((m) => m.from?.id === emu.botUser.id && (m.text ?? '').startsWith(`${user.first_name} `))
          .map((m) => m.text);
      };
      await emu.waitFor(() => everyone.every((user) => copies(user).length >= expected.get(user.id)!.length) || undefined, {
        what: 'the backlog to drain',
        timeoutMs: 240_000,
      });
      await sleep(1000);

      for (const user of everyone) expect(copies(user)).toEqual(expected.get(user.id));
      // Each newcomer heard from the bot before the group got to their ticket.
      for (const user of newcomers) {
        const ack = ackFor(emu, user.id)!;
        const topic = topicOf(user)!;
        expect(emu.messageSeq(user.id, ack.message_id)).toBeLessThan(topic.createdSeq);
      }
      expect(unhealthy).toEqual([]);
      // One instance at its defaults (README, "Connections") and the test's pool (2), which this observer uses too.
      expect(peakConnections).toBeLessThanOrEqual(DEFAULT_POOL_SIZE + PG_BOSS_POOL_SIZE + 2 + 2);
      // No work gave up waiting for a connection (pg's pool says so in the error the app logs).
      expect(desk.app.output.filter((line) => /timeout exceeded when trying to connect/i.test(line))).toEqual([]);
      const retried = await desk.sql<{ n: string }>(`SELECT count(*) AS n FROM pgboss.job WHERE name IN ('ticket.sync', 'ticket.deliver') AND retry_count > 0`);
      expect(Number(retried[0].n)).toBe(0);
      // Paced to Telegram's own windows: not one flood 429.
      const tooMany = emu.callRecords().filter((c) => c.status === 429).length;
      expect(tooMany).toBe(0);
      const sorted = [...healthMs].sort((a, b) => a - b);
      process.stdout.write(
        `surge: ${everyone.length} customers, peak ${peakConnections} connections, ${emu.callRecords('copyMessage').length} copies, ${tooMany} answers 429; ` +
          `/health p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms over ${sorted.length} checks\n`,
      );
      const ackMs = newcomers
        .map((user) => {
          const call = emu.callRecords('sendMessage').find((c) => c.ok && Number(c.params.chat_id) === user.id && /Thank you for your request/.test(String(c.params.text)));
          return Math.round(call!.finishedAt! - wroteAt.get(user.id)!);
        })
        .sort((a, b) => a - b);
      process.stdout.write(`surge: newcomers' acknowledgements in ${ackMs.join(', ')} ms\n`);
      expect(healthMs.length).toBeGreaterThan(30);
      expect(healthMs.filter((ms) => ms >= 1000)).toEqual([]);
    } finally {
      running = false;
      await observer;
    }
  }, 420_000);
});
