import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * `node dist/loadtest/cpu-profile.js <file.cpuprofile> [top]`: self time by function of a V8 CPU profile (as written
 * by `node --cpu-prof`), the top entries as a markdown table. Hand-written, not a dependency: the format is a node
 * list with hit counts and sample time deltas, and aggregating it by function is these thirty lines.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function selfTimes(profile: Profile): Array<{ name: string; where: string; ms: number; share: number }> {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const frame = byNode.get(id)?.callFrame;
    if (!frame || delta < 0) return;
    const url = frame.url.startsWith('file://') ? relative(process.cwd(), frame.url.slice(7)) : frame.url;
    const name = frame.functionName || '(anonymous)';
    const where = url ? `${url.replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = totals.get(key) ?? { name, where, us: 0 };
    entry.us += delta;
    totals.set(key, entry);
    if (name !== '(idle)') all += delta;
  });
  // Shares of the busy time: (idle) is listed, not counted.
  return [...totals.values()].sort((a, b) => b.us - a.us).map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: e.us / all }));
}

if (require.main === module) {
  const [file, top = '30'] = process.argv.slice(2);
  if (!file) throw new Error('usage: node dist/loadtest/cpu-profile.js <file.cpuprofile> [top]');
  const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  process.stdout.write('| self ms | share of busy | function | where |\n|--:|--:|---|---|\n');
  for (const row of rows.filter((r) => r.name !== '(idle)').slice(0, Number(top))) {
    process.stdout.write(`| ${row.ms.toFixed(0)} | ${(row.share * 100).toFixed(1)}% | ${row.name} | ${row.where} |\n`);
  }
}
