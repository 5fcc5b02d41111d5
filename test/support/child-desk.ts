import { AddressInfo, createServer } from 'node:net';
import { Pool } from 'pg';
import { BotApiEmulator, EmulatorOptions } from '../../src/sandbox/emulator';
import { ChildApp, buildApp, childEnv } from './child-app';
import { createTestDatabase } from './database';

/**
 * The built app in a process of its own, on its own database, polling an emulator that runs in the
 * test: what the app's event loop does is the app's alone, so its answer times can be asserted (a
 * desk from startDesk shares one loop with the emulator and the test).
 */
export interface ChildDesk {
  app: ChildApp;
  emu: BotApiEmulator;
  /** The app's HTTP port (/health, /ready, /metrics). */
  port: number;
  databaseUrl: string;
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** SIGTERM, as Docker stops it; then the emulator and the database go. */
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Builds the app (tsc into dist-test/), starts it with startDesk's settings plus `env`, and waits for it to poll. */
export async function startChildDesk(options: { env?: Record<string, string>; emulator?: EmulatorOptions } = {}): Promise<ChildDesk> {
  buildApp();
  const emu = new BotApiEmulator(options.emulator);
  await emu.start();
  const database = await createTestDatabase();
  const port = await freePort();
  const app = new ChildApp(
    childEnv(emu, database.url, { PORT: String(port), DEFAULT_LANGUAGE: 'ru', SUPPORT_LANGUAGE: 'en', LOG_LEVEL: 'warn', ...options.env }),
  );
  const pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined);
  const close = async () => {
    if (app.running) app.kill('SIGTERM');
    await app.exited;
    await pool.end();
    await emu.stop();
    await database.drop();
  };
  try {
    await emu.waitFor(() => emu.callRecords('getUpdates').length > 0 || !app.running || undefined, { what: 'the app to poll', timeoutMs: 60_000 });
    if (!app.running) throw new Error(`the app exited:\n${app.output.join('\n')}`);
    // Polling starts during the app's bootstrap, a moment before its HTTP server listens.
    const answers = () => fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    for (let i = 0; !(await answers()); i++) {
      if (i >= 100 || !app.running) throw new Error(`the app does not answer on port ${port}:\n${app.output.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { app, emu, port, databaseUrl: database.url, sql: async <T>(text: string, values?: unknown[]) => (await pool.query(text, values)).rows as T[], close };
}
