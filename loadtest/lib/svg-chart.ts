import { Samples } from './actors';

/** One time bucket of a run: answers per second and latency percentiles of the answers in it. */
export interface Bucket {
  /** Seconds since the run began (start of the bucket). */
  at: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The run cut into buckets of `bucketMs` (answers of every kind but `idle`). */
export function buckets(samples: Samples, bucketMs: number): Bucket[] {
  const idle = samples.kinds.indexOf('idle');
  let last = 0;
  for (let i = 0; i < samples.length; i++) last = Math.max(last, samples.atMs[i]);
  const count = Math.max(1, Math.ceil((last + 1) / bucketMs));
  const lists: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < samples.length; i++) {
    if (samples.kind[i] === idle) continue;
    lists[Math.min(count - 1, Math.floor(samples.atMs[i] / bucketMs))].push(samples.latencyMs[i]);
  }
  return lists.map((list, i) => {
    const sorted = Float64Array.from(list).sort();
    return { at: (i * bucketMs) / 1000, perSecond: (list.length * 1000) / bucketMs, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  });
}

/** A bucket size that gives a readable number of points: 100 ms for a few seconds, up to 5 s for long runs. */
export function bucketMsFor(durationMs: number): number {
  for (const size of [100, 250, 500, 1000, 2000, 5000]) if (durationMs / size <= 120) return size;
  return 10_000;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round numbers for an axis from 0 to at least max. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * Throughput and latency over time as an SVG: two panels sharing the time axis, answers/s above, p50 and p99 below.
 * Hand-written: a couple of polylines and axis labels need no charting dependency (and a chart library would want a
 * DOM or a canvas, which a command-line tool does not have).
 */
export function chartSvg(title: string, series: Bucket[], marks: Array<{ at: number; label: string }> = []): string {
  const width = 900;
  const panel = 220;
  const left = 70;
  const right = 20;
  const top = 40;
  const gap = 50;
  const height = top + panel * 2 + gap + 40;
  const plotWidth = width - left - right;
  const end = Math.max(series.length > 0 ? series[series.length - 1].at + (series[1]?.at ?? 1) - (series[0]?.at ?? 0) : 1, 0.001);
  const x = (at: number) => left + (at / end) * plotWidth;
  const maxRate = niceMax(Math.max(...series.map((b) => b.perSecond), 0));
  const maxLatency = niceMax(Math.max(...series.map((b) => (Number.isFinite(b.p99) ? b.p99 : 0)), 0));
  const y = (panelTop: number, value: number, max: number) => panelTop + panel - (value / max) * panel;
  const line = (values: Array<[number, number]>, color: string) =>
    values.length === 0
      ? ''
      : `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${values.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  const axis = (panelTop: number, max: number, unit: string) => {
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const value = max * f;
      const ty = y(panelTop, value, max);
      return `<line x1="${left}" x2="${width - right}" y1="${ty}" y2="${ty}" stroke="#ddd"/><text x="${left - 6}" y="${ty + 4}" text-anchor="end">${Number(value.toPrecision(3))}</text>`;
    });
    return `${ticks.join('')}<text x="${left - 50}" y="${panelTop - 10}">${escape(unit)}</text>`;
  };
  const timeTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${x(end * f)}" y="${top + panel * 2 + gap + 20}" text-anchor="middle">${(end * f).toFixed(1)} s</text>`)
    .join('');
  const latencyTop = top + panel + gap;
  const finite = (pick: (b: Bucket) => number) => series.filter((b) => Number.isFinite(pick(b))).map((b): [number, number] => [x(b.at), y(latencyTop, pick(b), maxLatency)]);
  const markLines = marks
    .map((mark) => `<line x1="${x(mark.at)}" x2="${x(mark.at)}" y1="${top}" y2="${latencyTop + panel}" stroke="#999" stroke-dasharray="4 3"/><text x="${x(mark.at) + 3}" y="${top + 12}" fill="#666">${escape(mark.label)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="18" font-size="14" font-weight="bold">${escape(title)}</text>
${axis(top, maxRate, 'answers/s')}
${line(series.map((b) => [x(b.at), y(top, b.perSecond, maxRate)]), '#1f77b4')}
${axis(latencyTop, maxLatency, 'latency ms')}
${line(finite((b) => b.p50), '#2ca02c')}
${line(finite((b) => b.p99), '#d62728')}
<text x="${width - right - 150}" y="${latencyTop - 10}" fill="#2ca02c">p50</text><text x="${width - right - 110}" y="${latencyTop - 10}" fill="#d62728">p99</text>
${markLines}
${timeTicks}
</svg>
`;
}
