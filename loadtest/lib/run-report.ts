import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ActorRunResult } from './actors';
import { Check } from './invariants';
import { MachineFacts } from './machine';
import { counts, fixed, table, thousands } from './markdown';
import { Bucket, bucketMsFor, buckets, chartSvg, percentile } from './svg-chart';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One phase of a run (a scenario, or one step of `full`). */
export interface PhaseReport {
  name: string;
  activityId?: number;
  settings: Record<string, unknown>;
  durationSeconds: number;
  /** Answers received (idle reads excluded). */
  answers: number;
  requestsPerSecond: number;
  /** Per request kind, and `all`. */
  latency: Record<string, LatencySummary>;
  statuses: Record<string, Record<string, number>>;
  codes: Record<string, Record<string, number>>;
  lost: Record<string, number>;
  /** Cores busy on average during the phase, per process (the load generator first). */
  cpu: Record<string, { pid: number; cores: number; cpuSeconds: number }>;
  /** What the scenario measured (time to sell out, drain time, orders/s...), named for the reader. */
  facts: Record<string, string | number | null>;
  checks: Check[];
  series: Bucket[];
  /** The chart's file name beside the report. */
  chart?: string;
  /** Marks on the chart (the sell-out...). */
  marks: Array<{ at: number; label: string }>;
}

export interface RunReport {
  scenario: string;
  command: string;
  startedAt: string;
  target: string;
  machine: MachineFacts;
  /** Processes whose CPU could not be measured, and why. */
  cpuSkipped: string[];
  /** Where the invariants read the orders (MySQL, or the admin API when MySQL is out of reach). */
  ordersFrom: string;
  phases: PhaseReport[];
  ok: boolean;
}

/** Latency percentiles per kind of request from every answer's own timing. */
export function latencyByKind(result: ActorRunResult): Record<string, LatencySummary> {
  const { samples } = result;
  const lists = new Map<string, number[]>();
  for (let i = 0; i < samples.length; i++) {
    const kind = samples.kinds[samples.kind[i]];
    if (kind === 'idle') continue;
    for (const key of [kind, 'all']) {
      let list = lists.get(key);
      if (!list) lists.set(key, (list = []));
      list.push(samples.latencyMs[i]);
    }
  }
  const out: Record<string, LatencySummary> = {};
  for (const [kind, list] of lists) {
    const sorted = Float64Array.from(list).sort();
    out[kind] = { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
  }
  return out;
}

/** The parts of a phase report that come from the load itself. */
export function loadPart(result: ActorRunResult): Pick<PhaseReport, 'durationSeconds' | 'answers' | 'requestsPerSecond' | 'latency' | 'statuses' | 'codes' | 'lost' | 'series'> {
  const latency = latencyByKind(result);
  const durationSeconds = (result.endedAt - result.startedAt) / 1000;
  const answers = latency.all?.count ?? 0;
  return {
    durationSeconds: Math.round(durationSeconds * 1000) / 1000,
    answers,
    requestsPerSecond: Math.round(answers / Math.max(durationSeconds, 0.001)),
    latency,
    statuses: result.statuses,
    codes: result.codes,
    lost: result.lost,
    series: buckets(result.samples, bucketMsFor(result.endedAt - result.startedAt)),
  };
}

function phaseMarkdown(phase: PhaseReport): string {
  const lines: string[] = [`## ${phase.name}${phase.activityId ? ` (activity ${phase.activityId})` : ''}`, ''];
  const settings = Object.entries(phase.settings).map(([key, value]) => `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  if (settings.length > 0) lines.push(`Settings: ${settings.join(', ')}.`, '');
  lines.push(
    table(
      ['measure', 'value'],
      [
        ['duration', `${fixed(phase.durationSeconds, 2)} s`],
        ['answers', thousands(phase.answers)],
        ['answers/s', thousands(phase.requestsPerSecond)],
        ...Object.entries(phase.facts).map(([key, value]) => [key, value === null ? 'n/a' : typeof value === 'number' ? String(Math.round(value * 100) / 100) : value]),
      ],
      [false, true],
    ),
    '',
  );
  const kinds = Object.keys(phase.latency).filter((kind) => kind !== 'all').concat('all');
  lines.push(
    'Latency (ms, from every answer\'s own timing) and statuses per kind of request:',
    '',
    table(
      ['request', 'answers', 'p50', 'p90', 'p99', 'max', 'statuses', 'error codes', 'no answer'],
      kinds
        .filter((kind) => phase.latency[kind])
        .map((kind) => {
          const l = phase.latency[kind];
          return [kind, thousands(l.count), fixed(l.p50, 1), fixed(l.p90, 1), fixed(l.p99, 1), fixed(l.max, 1), kind === 'all' ? '' : counts(phase.statuses[kind] ?? {}), kind === 'all' ? '' : counts(phase.codes[kind] ?? {}), kind === 'all' ? '' : String(phase.lost[kind] ?? 0)];
        }),
      [false, true, true, true, true, true, false, false, true],
    ),
    '',
  );
  const cpu = Object.entries(phase.cpu);
  if (cpu.length > 0) {
    lines.push('CPU during the phase (cores busy on average = CPU seconds / wall seconds):', '', table(['process', 'pid', 'cores busy', 'CPU s'], cpu.map(([name, c]) => [name, String(c.pid), fixed(c.cores, 2), fixed(c.cpuSeconds, 2)]), [false, true, true, true]), '');
  }
  if (phase.checks.length > 0) {
    lines.push('Invariants:', '', table(['check', 'result', 'detail'], phase.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail.replace(/\|/g, '/')])), '');
  }
  if (phase.chart) lines.push(`![throughput and latency over time](${phase.chart})`, '');
  return lines.join('\n');
}

export function runMarkdown(report: RunReport): string {
  const m = report.machine;
  const lines = [
    `# npm run loadtest -- ${report.scenario}: ${report.ok ? 'invariants hold' : 'INVARIANTS BROKEN'}`,
    '',
    `\`${report.command}\` at ${report.startedAt} against ${report.target}.`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}. Load average (1/5/15 min) ${m.loadBefore.join(' / ')} before, ${(m.loadAfter ?? []).join(' / ')} after` +
      `${m.loadBefore[0] > m.cores * 0.5 ? ' — the machine was busy before the run began: other work shared its cores, and the figures show it' : ''}.`,
    '',
    'The load generator shares this machine\'s cores with everything else on it (the stack too, when it runs here): its own CPU is in every phase\'s table.',
    ...(report.cpuSkipped.length > 0 ? ['', `CPU not measured: ${report.cpuSkipped.join('; ')}.`] : []),
    '',
    `Orders for the invariants: ${report.ordersFrom}.`,
    '',
    ...report.phases.map(phaseMarkdown),
  ];
  return lines.join('\n');
}

/** Writes <base>.md, <base>.json and one SVG per phase into `dir`; returns the paths written. */
export function writeRunReport(dir: string, base: string, report: RunReport): string[] {
  mkdirSync(dir, { recursive: true });
  report.machine.loadAfter = loadavg().map((value) => Math.round(value * 100) / 100);
  const written: string[] = [];
  for (const phase of report.phases) {
    if (phase.series.length === 0) continue;
    phase.chart = `${base}-${phase.name.replace(/[^A-Za-z0-9-]+/g, '-').replace(/-+$/, '')}.svg`;
    writeFileSync(join(dir, phase.chart), chartSvg(`${phase.name}: answers/s, p50 and p99 latency`, phase.series, phase.marks));
    written.push(join(dir, phase.chart));
  }
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.md`), `${runMarkdown(report)}\n`);
  return [join(dir, `${base}.md`), join(dir, `${base}.json`), ...written];
}
