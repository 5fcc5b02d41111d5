/** "ticket #42: adopted topic 17" and "ticket #43: adopted topic 19" are one kind of warning. */
function kindOf(context: string | undefined, message: string): string {
  return `${context ? `[${context}] ` : ''}${message.replace(/\d+/g, 'N')}`;
}

export interface LogKind {
  level: string;
  kind: string;
  count: number;
}

/**
 * Reads a child's output (the app logs JSON lines at LOG_LEVEL=warn): each kind of warning or error is
 * shown once and then counted, so that a warning repeated for every ticket neither buries the progress
 * lines nor hides the others. Lines that are not JSON (a crash before the logger exists) are kept as
 * they are for the failure message. The counts go into the report.
 */
export class LogCounter {
  private readonly counts = new Map<string, LogKind>();
  /** The last lines, whatever they were, for a failure message. */
  readonly tail: string[] = [];

  constructor(
    private readonly name: string,
    private readonly show: (line: string) => void,
  ) {}

  line(raw: string): void {
    this.tail.push(raw);
    if (this.tail.length > 40) this.tail.shift();
    let parsed: { level?: unknown; msg?: unknown; context?: unknown } | undefined;
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const level = typeof parsed?.level === 'string' ? parsed.level : typeof parsed?.level === 'number' ? pinoLevel(parsed.level) : 'output';
    const message = typeof parsed?.msg === 'string' ? parsed.msg : raw;
    const kind = kindOf(typeof parsed?.context === 'string' ? parsed.context : undefined, message);
    const entry = this.counts.get(kind) ?? { level, kind, count: 0 };
    entry.count++;
    this.counts.set(kind, entry);
    if (entry.count === 1) this.show(`  ${this.name} ${level}: ${message.length > 300 ? `${message.slice(0, 300)}…` : message}`);
  }

  /** Counts by kind, most frequent first. */
  summary(): LogKind[] {
    return [...this.counts.values()].sort((a, b) => b.count - a.count);
  }
}

function pinoLevel(level: number): string {
  if (level >= 60) return 'fatal';
  if (level >= 50) return 'error';
  if (level >= 40) return 'warn';
  return 'info';
}
