import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BotApiEmulator } from '../../src/sandbox/emulator';

const root = join(__dirname, '../..');
export const BUILD_DIR = join(root, 'dist-test');

/** Compiles the app as production does (tsconfig.build.json), into dist-test/. */
export function buildApp(): void {
  const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', BUILD_DIR], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`build failed: ${result.stdout}${result.stderr}`);
}

/** The built app as a child process, as an operator runs it (`node dist/src/main.js`). */
export class ChildApp {
  readonly output: string[] = [];
  private readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: Record<string, string>) {
    this.proc = spawn(process.execPath, [join(BUILD_DIR, 'src/main.js')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', CATEGORIES_FILE: join(root, 'catalog/categories.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    this.proc.stdout?.on('data', collect);
    this.proc.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
}

/** What a test's child app starts with: this emulator and this database, the group's limits out of the test's way. */
export function childEnv(emu: BotApiEmulator, databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BOT_TOKEN: emu.token,
    SUPPORT_CHAT_ID: String(emu.supportChatId),
    TELEGRAM_API_ROOT: emu.apiRoot,
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_GROUP_PER_MINUTE: '6000',
    RATE_LIMIT_GROUP_PER_SECOND: '100',
    RATE_LIMIT_CHAT_BURST: '50',
    ...extra,
  };
}

/** Starts a polling child app (kept in `children`) and waits for its first poll; throws with its output if it exits first. */
export async function startPollingChild(emu: BotApiEmulator, env: Record<string, string>, children: ChildApp[]): Promise<ChildApp> {
  const child = new ChildApp(env);
  children.push(child);
  const before = emu.callRecords('getUpdates').length;
  await emu.waitFor(() => emu.callRecords('getUpdates').length > before || !child.running || undefined, { what: 'the app to poll', timeoutMs: 30_000 });
  if (!child.running) throw new Error(`the app exited:\n${child.output.join('\n')}`);
  return child;
}

/** After a test: the apps' own logs under test/artifacts (`<name>-app-run-N.log`, for when it failed; not tracked), then every app stopped. */
export async function stopChildren(name: string, children: ChildApp[]): Promise<void> {
  const dir = join(__dirname, '../artifacts');
  mkdirSync(dir, { recursive: true });
  for (const [i, child] of children.entries()) writeFileSync(join(dir, `${name}-app-run-${i + 1}.log`), child.output.join('\n'));
  for (const child of children) if (child.running) child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
}

