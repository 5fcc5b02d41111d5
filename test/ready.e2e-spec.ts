import { Client } from 'pg';
import type { Readiness } from '../src/operations/readiness.service';
import { createTestDatabase } from './support/database';
import { PausableProxy } from './support/pausable-proxy';
import { TestDesk, ackFor, botMessages, chooseCategory, sleep, startDesk } from './support/test-desk';
import { topicMessages } from './support/topic-view';

const portOf = (desk: TestDesk) => (desk.app.getHttpServer().address() as { port: number }).port;

/** One answer, and how long it took from the request to the whole body. */
async function get(desk: TestDesk, path: '/ready' | '/health'): Promise<{ status: number; body: Readiness & { status: string; database: string }; ms: number }> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${portOf(desk)}${path}`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as Readiness & { status: string; database: string };
  return { status: response.status, body, ms: performance.now() - started };
}

/** Asks `path` until it answers `status` (at most ~15 s), and returns that answer. */
async function until(desk: TestDesk, path: '/ready' | '/health', status: number) {
  let answer = await get(desk, path);
  for (let i = 0; i < 75 && answer.status !== status; i++) {
    await sleep(200);
    answer = await get(desk, path);
  }
  return answer;
}

describe('/ready and /health', () => {
  describe('a database that refuses connections', () => {
    let desk: TestDesk;
    let admin: Client;
    const name = () => new URL(desk.databaseUrl).pathname.slice(1);

    beforeAll(async () => {
      desk = await startDesk();
      admin = new Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin?.end();
      await desk?.close();
    });

    it('turns /ready 503 naming the database while it refuses, and 200 again after; /health stays 200 throughout', async () => {
      const ready = await until(desk, '/ready', 200);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', problems: [], database: 'ok', jobs: 'running', telegram: { ok: true }, supportGroup: { ok: true } });

      await admin.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS false`);
      const kill = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name()]);
      await kill();
      const killer = setInterval(() => void kill().catch(() => undefined), 500);
      try {
        const refused = await until(desk, '/ready', 503);
        expect(refused.status).toBe(503);
        expect(refused.body.status).toBe('not ready');
        expect(refused.body.database).toBe('unreachable');
        expect(refused.body.problems.join('\n')).toMatch(/the database is unreachable/);
        // Within a second: the requirement for both checks, whatever the database does.
        expect(refused.ms).toBeLessThan(1000);
        // Liveness: the process serves; restarting it would not bring the database back.
        const health = await get(desk, '/health');
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({ status: 'degraded', database: 'unreachable' });
        expect(health.ms).toBeLessThan(1000);
      } finally {
        clearInterval(killer);
        await admin.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`);
      }

      const back = await until(desk, '/ready', 200);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ status: 'ready', problems: [], database: 'ok' });
      expect((await get(desk, '/health')).body).toMatchObject({ status: 'ok', database: 'ok' });
    });
  });

  describe('a database that hangs (a proxy in front of it stops forwarding, connections stay open)', () => {
    let desk: TestDesk;
    let database: { url: string; drop(): Promise<void> };
    let proxy: PausableProxy;

    beforeAll(async () => {
      database = await createTestDatabase();
      const proxied = await PausableProxy.start(database.url);
      proxy = proxied.proxy;
      desk = await startDesk({ databaseUrl: proxied.url });
    });
    afterAll(async () => {
      proxy?.resume();
      await desk?.close();
      await proxy?.close();
      await database?.drop();
    });

    it('answers /health 200 and /ready 503 naming the database within a second while it hangs; after, /ready is 200 and a message written meanwhile arrives once', async () => {
      const { emu } = desk;
      expect((await until(desk, '/ready', 200)).status).toBe(200);
      const customer = emu.createUser({ first_name: 'Hana', language_code: 'en' });
      await chooseCategory(emu, customer);

      proxy.pause();
      const text = 'written while the database hangs';
      emu.userSendText(customer.id, text);
      // Long enough for the health check's connection to be given up and a new one to hang in its connect
      // (2 s each): every answer of the run is timed, whichever of those states the check is in.
      const started = Date.now();
      const answers: { path: string; status: number; ms: number; database: string; problems?: string[] }[] = [];
      while (Date.now() - started < 6000) {
        for (const path of ['/health', '/ready'] as const) {
          const { status, ms, body } = await get(desk, path);
          answers.push({ path, status, ms, database: body.database, problems: body.problems });
        }
        await sleep(250);
      }
      // Nothing could be stored: the customer has heard nothing yet.
      expect(ackFor(emu, customer.id)).toBeUndefined();
      const late = answers.filter((a) => a.ms >= 1000).map((a) => `${a.path} ${Math.round(a.ms)} ms`);
      expect(late).toEqual([]);
      const health = answers.filter((a) => a.path === '/health');
      const ready = answers.filter((a) => a.path === '/ready');
      expect(new Set(health.map((a) => a.status))).toEqual(new Set([200]));
      // The first answers may still come from before the hang was noticed; from the second on it is named.
      for (const answer of ready.slice(1)) {
        expect(answer.status).toBe(503);
        expect(['slow', 'unreachable']).toContain(answer.database);
        expect(answer.problems!.join('\n')).toMatch(/the database (did not answer within 0\.8 s|is unreachable)/);
      }
      for (const answer of health.slice(1)) expect(['slow', 'unreachable']).toContain(answer.database);

      proxy.resume();
      const back = await until(desk, '/ready', 200);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ status: 'ready', database: 'ok', problems: [] });
      await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement after the hang' });
      const topic = await emu.waitFor(() => emu.topics().find((t) => !t.deleted && t.name.includes(text)), { what: 'the topic' });
      await emu.waitFor(() => topicMessages(emu, topic.message_thread_id).find((m) => m.text === text), { what: 'the copy in the topic' });
      await sleep(1000);
      expect(emu.topics().filter((t) => !t.deleted)).toHaveLength(1);
      expect(topicMessages(emu, topic.message_thread_id).filter((m) => m.text === text)).toHaveLength(1);
      expect(botMessages(emu, customer.id).filter((m) => /Thank you for your request/.test(m.text ?? ''))).toHaveLength(1);
    });
  });

  describe('a support group further behind than READY_MAX_BACKLOG', () => {
    let desk: TestDesk;
    beforeAll(async () => (desk = await startDesk({ env: { READY_MAX_BACKLOG: '1' } })));
    afterAll(() => desk?.close());

    it('turns /ready 503 while more messages wait than allowed, and 200 once they are in their topic', async () => {
      const { emu } = desk;
      expect((await until(desk, '/ready', 200)).status).toBe(200);
      emu.setFault('createForumTopic', { latencyMs: 4000 });
      const customer = emu.createUser({ first_name: 'Pia', language_code: 'en' });
      await chooseCategory(emu, customer);
      emu.userSendText(customer.id, 'first: the app freezes');
      await emu.waitFor(() => ackFor(emu, customer.id), { what: 'the acknowledgement' });
      emu.userSendText(customer.id, 'second: after the update');

      const behind = await until(desk, '/ready', 503);
      expect(behind.status).toBe(503);
      expect(behind.body.backlog).toEqual({ waiting: 2, max: 1 });
      expect(behind.body.problems).toEqual(['2 customer messages wait for the support group (READY_MAX_BACKLOG 1)']);

      emu.clearFaults();
      const caughtUp = await until(desk, '/ready', 200);
      expect(caughtUp.status).toBe(200);
      expect(caughtUp.body.backlog).toEqual({ waiting: 0, max: 1 });
    });
  });
});
