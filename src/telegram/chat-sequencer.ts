/**
 * Runs tasks of one key (a chat) one after another, and tasks of different keys concurrently. Telegraf
 * hands a batch of updates to its handlers all at once; this keeps one customer's updates in order.
 */
export class ChatSequencer {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return current;
  }

  get size(): number {
    return this.tails.size;
  }
}
