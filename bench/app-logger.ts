import { ConsoleLogger } from '@nestjs/common';

/** "ticket #42: adopted topic 17" and "ticket #43: adopted topic 19" are one kind of warning. */
function kindOf(context: string | undefined, message: unknown): string {
  const text = message instanceof Error ? message.message : String(message);
  return `${context ? `[${context}] ` : ''}${text.replace(/\d+/g, 'N')}`;
}

/**
 * The app's logger during the benchmark: errors and warnings only, as in the e2e tests, but each kind of
 * warning is printed once and then counted, so that a warning repeated for every ticket neither buries
 * the summaries nor costs stdout writes inside the measured path. The counts go into the report.
 */
export class CountingLogger extends ConsoleLogger {
  private readonly counts = new Map<string, { level: 'error' | 'warn'; count: number }>();

  constructor() {
    super();
    this.setLogLevels(['fatal', 'error', 'warn']);
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    if (this.count('warn', message, rest) === 1) super.warn(message, ...(rest as [string?]));
  }

  override error(message: unknown, ...rest: unknown[]): void {
    this.count('error', message, rest);
    super.error(message, ...(rest as [string?]));
  }

  /** Counts per kind since the last call, most frequent first. */
  drain(): { level: 'error' | 'warn'; kind: string; count: number }[] {
    const out = [...this.counts].map(([kind, { level, count }]) => ({ level, kind, count })).sort((a, b) => b.count - a.count);
    this.counts.clear();
    return out;
  }

  private count(level: 'error' | 'warn', message: unknown, rest: unknown[]): number {
    const last = rest.at(-1);
    const kind = kindOf(typeof last === 'string' ? last : this.context, message);
    const entry = this.counts.get(kind) ?? { level, count: 0 };
    entry.count++;
    this.counts.set(kind, entry);
    return entry.count;
  }
}
