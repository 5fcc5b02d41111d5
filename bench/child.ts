import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { LogCounter, LogKind } from './log-counter';
import { ProcessSampler, ProcessUsage } from './process-stats';

export const REPO_ROOT = join(__dirname, '..');

/** How long a child may take to leave after SIGTERM (the app's own deadline is 9 s) before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;

export interface ChildOptions {
  /** Shown in front of its output lines and in failure messages. */
  name: string;
  args: string[];
  env: Record<string, string>;
  show: (line: string) => void;
}

/**
 * A bot under test as a process of its own (the built app, or one of the comparison bots in bench/bots),
 * so that the load generator and the emulator never share its event loop. Its output is counted by
 * kind, its memory and CPU sampled from /proc.
 */
export class Child {
  /** Children not stopped yet: an interrupted run stops them on its way out. */
  static readonly live = new Set<Child>();
  readonly log: LogCounter;
  readonly sampler: ProcessSampler;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;

  constructor(readonly options: ChildOptions) {
    this.log = new LogCounter(options.name, options.show);
    // Only what the child is given: a developer's .env or shell must not switch the AI on or change limits.
    this.proc = spawn(process.execPath, options.args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    const collect = (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.log.line(line);
    };
    this.proc.stdout?.on('data', collect);
    this.proc.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    Child.live.add(this);
    void this.exited.then(() => Child.live.delete(this));
    this.sampler = new ProcessSampler(this.proc.pid ?? -1);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Throws with the child's last lines when it is no longer running. */
  assertRunning(what: string): void {
    if (this.running) return;
    throw new Error(`${this.options.name} exited while ${what} (code ${this.proc.exitCode}, signal ${this.proc.signalCode}):\n${this.log.tail.join('\n')}`);
  }

  /** Usage at this moment, then SIGTERM and (bounded) wait; SIGKILL if it does not leave. */
  async stop(): Promise<{ usage: ProcessUsage; log: LogKind[]; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
    const usage = this.sampler.usage();
    this.sampler.stop();
    if (this.running) this.proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.running) this.proc.kill('SIGKILL');
        resolve();
      }, STOP_TIMEOUT_MS);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return { usage, log: this.log.summary(), exit: await this.exited };
  }
}

/** The app as production runs it: `node dist/src/main.js`, the build of `npm run build`. */
export function startApp(env: Record<string, string>, show: (line: string) => void, profileDir?: string): Child {
  return new Child({
    name: 'app',
    // A V8 CPU profile (.cpuprofile, for Chrome's DevTools or speedscope) written when the app exits.
    args: [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), join(REPO_ROOT, 'dist/src/main.js')],
    env: {
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      PORT: '0',
      // Set and empty: a key in a developer's .env would otherwise switch the AI on.
      OPENAI_API_KEY: '',
      ...env,
    },
    show,
  });
}

/** One of the comparison bots of bench/bots, compiled on the fly (its start-up is not measured). */
export function startBenchBot(name: string, file: string, env: Record<string, string>, show: (line: string) => void): Child {
  return new Child({
    name,
    args: ['-r', require.resolve('ts-node/register/transpile-only'), join(__dirname, 'bots', file)],
    env,
    show,
  });
}
