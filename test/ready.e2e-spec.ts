import { Client } from 'pg';
import type { Readiness } from '../src/operations/readiness.service';
import { TestDesk, ackFor, chooseCategory, sleep, startDesk } from './support/test-desk';

const portOf = (desk: TestDesk) => (desk.app.getHttpServer().address() as { port: number }).port;

async function get(desk: TestDesk, path: '/ready' | '/health'): Promise<{ status: number; body: Readiness & { status: string; database: string } }> {
  const response = await fetch(`http://127.0.0.1:${portOf(desk)}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Readiness & { status: string; database: string } };
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
        // Liveness: the process serves; restarting it would not bring the database back.
        const health = await get(desk, '/health');
        expect(health.status).toBe(200);
        expect(health.body).toMatchObject({ status: 'degraded', database: 'unreachable' });
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
