import { runActors, Script, Step } from '../lib/actors';
import { Check } from '../lib/invariants';
import { CpuMeter } from '../lib/machine';
import { loadPart, PhaseReport } from '../lib/run-report';
import { LoadtestContext } from './context';

interface Browser {
  /** Which read comes next (round robin over READS). */
  turn: number;
}

const READS = ['list', 'activity', 'stock', 'unknown'] as const;
/** Unknown ids: well-formed activity ids (below 2^31) that no activity has, so the answer comes from the bloom filter path. */
const UNKNOWN_BASE = 1_900_000_000;

/**
 * `browse`: catalog and stock reads for --duration seconds, as shoppers refreshing pages: the list, one activity, its
 * stock, and ids that do not exist (404 without MariaDB: the bloom filter of activity ids answers them). Every known
 * read must be 200 (or 304), every unknown one 404 NOT_FOUND, none 5xx.
 */
export async function browse(ctx: LoadtestContext): Promise<PhaseReport> {
  let activityId = ctx.sale?.activityId;
  if (activityId === undefined) {
    const activity = await ctx.admin.createActivity({
      title: 'Load test: browse',
      stock: ctx.options.stock,
      startAt: new Date(Date.now() + 1000),
      endAt: new Date(Date.now() + 3600_000),
    });
    activityId = activity.id;
  }
  const base = '/api/activities';
  const browsers: Browser[] = Array.from({ length: ctx.options.connections * 2 }, (_, i) => ({ turn: i % READS.length }));
  const script: Script<Browser> = {
    step(browser): Step {
      const read = READS[browser.turn++ % READS.length];
      switch (read) {
        case 'list':
          return { kind: read, method: 'GET', path: base, headers: {} };
        case 'activity':
          return { kind: read, method: 'GET', path: `${base}/${activityId}`, headers: {} };
        case 'stock':
          return { kind: read, method: 'GET', path: `${base}/${activityId}/stock`, headers: {} };
        case 'unknown':
          return { kind: read, method: 'GET', path: `${base}/${UNKNOWN_BASE + Math.floor(Math.random() * 100_000_000)}`, headers: {} };
      }
    },
    answer: () => ({ again: true }),
    lost: () => ({ again: true }),
  };
  ctx.log(`browsing for ${ctx.options.durationSeconds} s (activity ${activityId} and unknown ids)`);
  const cpu = new CpuMeter(ctx.pids);
  const result = await runActors({
    url: ctx.urls.seckill,
    connections: ctx.options.connections,
    actors: browsers,
    script,
    maxSeconds: ctx.options.durationSeconds,
    progress: ctx.options.progress,
    timeBound: true,
    label: 'browse',
    idlePath: `${base}/${activityId}/stock`,
  });
  const cpuUse = cpu.read();
  const statusesOf = (kind: string) => Object.entries(result.statuses[kind] ?? {});
  const only = (kind: string, allowed: string[]): Check => {
    const found = statusesOf(kind);
    return {
      name: `${kind} reads answer ${allowed.join(' or ')}`,
      ok: found.length > 0 && found.every(([status]) => allowed.includes(status) || status === '429' || status === '503'),
      detail: found.map(([status, n]) => `${status}×${n}`).join(', ') || 'no answers',
    };
  };
  const checks: Check[] = [only('list', ['200', '304']), only('activity', ['200', '304']), only('stock', ['200', '304']), only('unknown', ['404'])];
  const part = loadPart(result);
  return {
    name: 'browse',
    activityId,
    settings: { connections: ctx.options.connections, durationSeconds: ctx.options.durationSeconds },
    ...part,
    cpu: cpuUse,
    facts: Object.fromEntries(READS.map((read) => [`${read} p99 (ms)`, part.latency[read]?.p99 ?? null])),
    checks,
    marks: [],
  };
}
