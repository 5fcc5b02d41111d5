import type { ScenarioResult, Series } from './scenario';
import { ms } from './stats';

/**
 * The report as a picture, written as SVG text: every latency distribution on one logarithmic time
 * axis (from a few milliseconds to minutes, so the bursts, the quiet desk and the capacity steps can
 * be read side by side), and the capacity run's topic lag over time (bounded or growing, step by step).
 */

const WIDTH = 1200;
const LABEL_W = 330;
const PLOT_X = LABEL_W + 10;
const PLOT_W = 560;
const STATS_X = PLOT_X + PLOT_W + 14;
const ROW_H = 30;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const APP = '#1f6fb4';
const OTHER = '#e0751b';
const TARGET = '#c62828';

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number): string => (Math.round(v * 10) / 10).toString();

interface TextStyle {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  fill?: string;
  bold?: boolean;
}

function text(x: number, y: number, content: string, style: TextStyle = {}): string {
  const attrs = [
    `font-size="${style.size ?? 12}"`,
    style.anchor && style.anchor !== 'start' ? `text-anchor="${style.anchor}"` : '',
    style.fill ? `fill="${style.fill}"` : '',
    style.bold ? 'font-weight="bold"' : '',
  ].filter(Boolean);
  return `<text x="${num(x)}" y="${num(y)}" ${FONT} ${attrs.join(' ')}>${esc(content)}</text>`;
}

/** Decade label: 1 ms, 10 ms, 100 ms, 1 s, 10 s, 100 s, 1000 s. */
function decadeLabel(value: number): string {
  return value < 1000 ? `${value} ms` : `${value / 1000} s`;
}

function distributions(series: Series[], top: number): { svg: string; height: number } {
  const withData = series.filter((s) => s.stats);
  const lows = withData.map((s) => Math.max(0.1, s.stats!.min));
  const highs = withData.flatMap((s) => [s.stats!.max, s.target ?? 0]);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...lows, 10)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...highs, 1000)));
  const x = (v: number) => PLOT_X + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT_W;
  const parts: string[] = [];
  const axisTop = top + 28;
  const height = 28 + withData.length * ROW_H + 40;
  parts.push(text(0, top + 12, 'Latency distributions (log scale): line min–max · box p50–p95 · bar p99 · dots every sample · red ◆ target', { bold: true }));
  withData.forEach((_, i) => {
    if (i % 2 === 1) parts.push(`<rect x="0" y="${axisTop + i * ROW_H}" width="${WIDTH}" height="${ROW_H}" fill="#f6f8fa"/>`);
  });
  // Grid: decades labelled, 2..9 faint.
  for (let d = lo; d <= hi; d *= 10) {
    parts.push(`<line x1="${num(x(d))}" y1="${axisTop}" x2="${num(x(d))}" y2="${axisTop + withData.length * ROW_H}" stroke="#bbb"/>`);
    parts.push(text(x(d), axisTop + withData.length * ROW_H + 16, decadeLabel(d), { anchor: 'middle', fill: '#444' }));
    if (d < hi) {
      for (let m = 2; m < 10; m++) {
        parts.push(`<line x1="${num(x(d * m))}" y1="${axisTop}" x2="${num(x(d * m))}" y2="${axisTop + withData.length * ROW_H}" stroke="#eee"/>`);
      }
    }
  }
  withData.forEach((s, i) => {
    const st = s.stats!;
    const cy = axisTop + i * ROW_H + ROW_H / 2;
    const color = /\bapp\b/.test(s.label) ? APP : OTHER;
    parts.push(text(0, cy + 4, s.label));
    parts.push(`<line x1="${num(x(st.min))}" y1="${cy}" x2="${num(x(st.max))}" y2="${cy}" stroke="${color}" stroke-width="1.5"/>`);
    parts.push(`<rect x="${num(x(st.p50))}" y="${cy - 7}" width="${num(Math.max(1.5, x(st.p95) - x(st.p50)))}" height="14" fill="${color}" fill-opacity="0.3" stroke="${color}"/>`);
    s.values.forEach((v, k) => {
      const jitter = ((k * 7) % 11) - 5;
      parts.push(`<circle cx="${num(x(v))}" cy="${num(cy + jitter)}" r="1.6" fill="${color}" fill-opacity="0.45"/>`);
    });
    parts.push(`<line x1="${num(x(st.p99))}" y1="${cy - 10}" x2="${num(x(st.p99))}" y2="${cy + 10}" stroke="#111" stroke-width="2.5"/>`);
    if (s.target !== undefined) {
      const tx = x(s.target);
      parts.push(`<path d="M ${num(tx)} ${cy - 7} l 5 7 l -5 7 l -5 -7 z" fill="${TARGET}"/>`);
    }
    const target = s.target !== undefined ? ` · target ${ms(s.target)}` : '';
    parts.push(text(STATS_X, cy + 4, `p50 ${ms(st.p50)} · p99 ${ms(st.p99)}${target}`, { size: 11, fill: '#333' }));
  });
  return { svg: parts.join('\n'), height };
}

interface TimelinePoint {
  rate: number;
  sentAtS: number;
  lagS: number;
}

function timeline(
  points: TimelinePoint[],
  backlog: { atS: number; oldestS: number }[],
  steps: { ratePerMinute: number; bounded: boolean }[],
  stepSeconds: number,
  top: number,
): { svg: string; height: number } {
  const plotTop = top + 28;
  const plotH = 220;
  const maxX = Math.max(stepSeconds * steps.length, ...points.map((p) => p.sentAtS), ...backlog.map((p) => p.atS)) / 60;
  const maxY = Math.max(1, ...points.map((p) => p.lagS), ...backlog.map((p) => p.oldestS)) * 1.1;
  const x = (minutes: number) => PLOT_X + (minutes / maxX) * PLOT_W;
  const y = (seconds: number) => plotTop + plotH - (seconds / maxY) * plotH;
  const parts: string[] = [];
  parts.push(text(0, top + 12, 'capacity: topic lag of each ticket (dots) and the age of the oldest one still waiting (line), steps of rising rate', { bold: true }));
  parts.push(`<rect x="${PLOT_X}" y="${plotTop}" width="${PLOT_W}" height="${plotH}" fill="none" stroke="#bbb"/>`);
  const yStep = maxY > 60 ? 30 : maxY > 20 ? 10 : maxY > 8 ? 2 : 1;
  for (let s = 0; s <= maxY; s += yStep) {
    parts.push(`<line x1="${PLOT_X}" y1="${num(y(s))}" x2="${PLOT_X + PLOT_W}" y2="${num(y(s))}" stroke="#eee"/>`);
    parts.push(text(PLOT_X - 6, y(s) + 4, `${s} s`, { size: 11, anchor: 'end', fill: '#444' }));
  }
  steps.forEach((step, i) => {
    const x0 = x((i * stepSeconds) / 60);
    const x1 = x(((i + 1) * stepSeconds) / 60);
    if (i > 0) parts.push(`<line x1="${num(x0)}" y1="${plotTop}" x2="${num(x0)}" y2="${plotTop + plotH}" stroke="#999" stroke-dasharray="4 3"/>`);
    parts.push(text((x0 + x1) / 2, plotTop + 14, `${step.ratePerMinute}/min ${step.bounded ? 'bounded' : 'growing'}`, { size: 11, anchor: 'middle', fill: step.bounded ? '#2e7d32' : TARGET }));
  });
  if (backlog.length) {
    const path = backlog.map((p, i) => `${i ? 'L' : 'M'} ${num(x(p.atS / 60))} ${num(y(p.oldestS))}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="#888" stroke-width="1.2"/>`);
  }
  for (const p of points) parts.push(`<circle cx="${num(x(p.sentAtS / 60))}" cy="${num(y(p.lagS))}" r="2.4" fill="${APP}" fill-opacity="0.7"/>`);
  for (let m = 0; m <= Math.floor(maxX); m++) parts.push(text(x(m), plotTop + plotH + 16, `${m} min`, { size: 11, anchor: 'middle', fill: '#444' }));
  parts.push(text(0, plotTop + plotH / 2, 'x: when the first message was sent', { size: 11, fill: '#444' }));
  parts.push(text(0, plotTop + plotH / 2 + 16, 'y: until it was in its topic', { size: 11, fill: '#444' }));
  parts.push(text(0, plotTop + plotH / 2 + 32, 'line: oldest still waiting, at each moment', { size: 11, fill: '#888' }));
  return { svg: parts.join('\n'), height: 28 + plotH + 40 };
}

export function renderChart(title: string, subtitle: string, scenarios: ScenarioResult[]): string {
  const blocks: string[] = [];
  let y = 16;
  blocks.push(text(0, y, title, { size: 16, bold: true }));
  y += 18;
  blocks.push(text(0, y, subtitle, { size: 11, fill: '#444' }));
  y += 20;
  const series = scenarios.flatMap((s) => s.series);
  if (series.some((s) => s.stats)) {
    const block = distributions(series, y);
    blocks.push(block.svg);
    y += block.height;
  }
  const capacity = scenarios.find((s) => s.name === 'capacity');
  if (capacity) {
    const d = capacity.details as {
      timeline: TimelinePoint[];
      backlog: { atS: number; oldestS: number }[];
      steps: { ratePerMinute: number; bounded: boolean }[];
    };
    const block = timeline(d.timeline, d.backlog ?? [], d.steps, Number(capacity.parameters.stepSeconds), y);
    blocks.push(block.svg);
    y += block.height;
  }
  const height = Math.ceil(y + 10);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="-10 0 ${WIDTH + 20} ${height}">\n` +
    `<rect x="-10" y="0" width="${WIDTH + 20}" height="${height}" fill="#fff"/>\n${blocks.join('\n')}\n</svg>\n`
  );
}
