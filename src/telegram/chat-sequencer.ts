/**
 * Runs tasks of one key (a chat) one after another, and tasks of different keys concurrently. Updates
 * are dispatched as they are stored; this keeps one customer's updates in order.
 */
export class ChatSequencer {
  private readonly tails = new Map<string, Promise<void>>();
  /** Tasks queued or running, per key; a key is forgotten when its last task has finished. */
  private readonly counts = new Map<string, number>();
  private readonly idleWaiters = new Set<() => void>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const done = () => {
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(key, left);
        return;
      }
      this.counts.delete(key);
      this.tails.delete(key);
      if (!this.counts.size) for (const wake of this.idleWaiters) wake();
    };
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task).finally(done);
    this.tails.set(
      key,
      current.catch(() => undefined),
    );
    return current;
  }

  /** Whether tasks of this key are queued or running. */
  has(key: string): boolean {
    return this.counts.has(key);
  }

  /** Resolves when no task of any key is queued or running. */
  idle(): Promise<void> {
    if (!this.counts.size) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.idleWaiters.delete(wake);
        resolve();
      };
      this.idleWaiters.add(wake);
    });
  }

  get size(): number {
    return this.counts.size;
  }
}
