/** Latency statistics in milliseconds, rounded to 0.1 ms (finer digits are noise between processes). */
export interface LatencyStats {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const round = (v: number): number => Math.round(v * 10) / 10;

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
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sum / sorted.length),
  };
}

/** "p50 12.3 / p95 20.1 / p99 41.0 / max 55.2 ms (n=200)" for the one-line summaries. */
export function formatStats(stats: LatencyStats | null): string {
  if (!stats) return 'no samples';
  return `p50 ${ms(stats.p50)} / p95 ${ms(stats.p95)} / p99 ${ms(stats.p99)} / max ${ms(stats.max)} (n=${stats.count})`;
}

/** 41.0 ms, 3.21 s, 2.5 min: a duration as a reader compares it. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) < 1000) return `${Math.round(value * 10) / 10} ms`;
  if (Math.abs(value) < 120_000) return `${(value / 1000).toFixed(2)} s`;
  return `${(value / 60_000).toFixed(1)} min`;
}

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
