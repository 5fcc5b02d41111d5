import type { EmulatorCore } from './core';
import { ApiError, tooManyRequests } from './errors';
import type { MethodDef } from './methods';
import { RateLimiter } from './rate-limiter';
import type { Fault, LimitOptions } from './types';

/** Injected trouble: per-method faults (latency, scripted failures, random 429/5xx), flood limits, a dead network. */
export class Faults {
  readonly limiter: RateLimiter;
  private readonly faults = new Map<string, Fault>();
  private readonly latencyTimers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    private readonly core: EmulatorCore,
    private readonly methods: Map<string, MethodDef>,
    limits: LimitOptions | undefined,
  ) {
    this.limiter = new RateLimiter(limits ?? { enforce: false });
  }

  setFault(method: string, fault: Fault | null): void {
    const key = method === '*' ? '*' : (this.methods.get(method.toLowerCase())?.name ?? method);
    if (fault) this.faults.set(key, { ...fault, failNext: fault.failNext ? { ...fault.failNext } : undefined });
    else this.faults.delete(key);
  }

  /** Removes every fault, of every method and of '*'. */
  clearFaults(): void {
    this.faults.clear();
  }

  setLimits(limits: LimitOptions): void {
    this.limiter.setLimits(limits);
    this.limiter.reset();
  }

  setNetworkDown(down: boolean): void {
    const { core } = this;
    core.networkDown = down;
    if (down) {
      core.queue.abortPending();
      core.server?.destroySockets();
    } else {
      core.webhook?.pump();
    }
    core.changed();
  }

  /** The faults a call of `method` meets: the method's own first, then the '*' one (which spares getUpdates). */
  faultsFor(method: string): Fault[] {
    return [this.faults.get(method), method !== 'getUpdates' ? this.faults.get('*') : undefined].filter(
      (f): f is Fault => f !== undefined,
    );
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.latencyTimers.delete(entry);
          resolve();
        }, ms),
      };
      this.latencyTimers.add(entry);
    });
  }

  /** Ends every injected latency at once, so that stop() does not wait for them. */
  releaseDelays(): void {
    for (const t of this.latencyTimers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.latencyTimers.clear();
  }

  /** Throws the error a configured fault produces for this call (with its raw parameters), if any. */
  applyFault(fault: Fault, params: Record<string, unknown> = {}): void {
    const next = fault.failNext;
    if (next && next.count > 0 && (next.chatId === undefined || Number(params.chat_id) === next.chatId)) {
      next.count--;
      throw new ApiError(
        next.code,
        next.description,
        next.retryAfter !== undefined ? { retry_after: next.retryAfter } : undefined,
      );
    }
    if (fault.rate429 && this.core.random() < fault.rate429) throw tooManyRequests(this.pickRetryAfter(fault.retryAfter));
    if (fault.rate5xx && this.core.random() < fault.rate5xx) throw new ApiError(502, 'Bad Gateway');
  }

  private pickRetryAfter(value: Fault['retryAfter']): number {
    if (Array.isArray(value)) {
      const [min, max] = value;
      return Math.max(1, Math.floor(min + this.core.random() * (max - min + 1)));
    }
    return Math.max(1, value ?? 1);
  }
}
