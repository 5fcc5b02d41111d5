/** Latency statistics in milliseconds, rounded to 0.1 ms (finer digits are noise on a shared event loop). */
export interface LatencyStats {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * Nearest-rank percentiles: every reported value is one that was really measured, which keeps p99 of
 * a small sample (30 customers) honest instead of interpolating between two customers.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Null when nothing was measured, so that a report never shows a fake 0 ms. */
export function summarize(values: readonly number[]): LatencyStats | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    min: round(sorted[0]),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sum / sorted.length),
  };
}

/** "p50 12.3 / p90 20.1 / p99 41.0 / max 55.2 ms (n=200)" for the one-line summaries. */
export function formatStats(stats: LatencyStats | null): string {
  if (!stats) return 'no samples';
  return `p50 ${stats.p50} / p90 ${stats.p90} / p99 ${stats.p99} / max ${stats.max} ms (n=${stats.count})`;
}
