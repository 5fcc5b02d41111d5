import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

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
