/** Rejects with a message naming what was awaited, so a stuck benchmark says where it is stuck. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise resolved from outside: the emulator's event listeners settle it when the awaited message appears. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value: T) => {
      if (d.settled) return;
      d.settled = true;
      resolve(value);
    },
  };
  return d;
}

/**
 * Closers run once, newest first (the app before the emulator it polls, both before the database), each
 * bounded, so that a hanging close cannot keep the process alive. Returns false when any of them failed.
 */
export class Teardown {
  private readonly steps: { what: string; close: () => Promise<void> }[] = [];
  private running?: Promise<boolean>;

  add(what: string, close: () => Promise<void>): void {
    this.steps.push({ what, close });
  }

  run(stepTimeoutMs: number, warn: (line: string) => void): Promise<boolean> {
    this.running ??= (async () => {
      let ok = true;
      for (const step of [...this.steps].reverse()) {
        try {
          await withTimeout(step.close(), stepTimeoutMs, `${step.what} to close`);
        } catch (error) {
          ok = false;
          warn(`teardown: ${step.what}: ${(error as Error).message}`);
        }
      }
      return ok;
    })();
    return this.running;
  }
}
