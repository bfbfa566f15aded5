/**
 * What Redis persistence costs the reservation path: the reservation script (StockService.reserve, the one Redis round
 * trip of a purchase) run against a redis-server of this script's own with no persistence, with `appendonly yes` +
 * `appendfsync everysec`, and with `appendfsync always` (every write on disk before Redis answers: what the Redis
 * restart drill relies on), one call at a time and 64 at once. Each run is measured three times after a warm-up, and
 * the median run (by throughput) is printed: calls per second and latency percentiles.
 *
 *   npm run bench:aof                      # 10,000 reservations per run
 *   npm run bench:aof -- --reservations 5000
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import Redis from 'ioredis';
import { RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { startTestRedisServer, TestRedisServerOptions } from '@seckill/testing';

type Mode = NonNullable<TestRedisServerOptions['appendFsync']>;

interface Run {
  mode: Mode;
  concurrency: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** `count` reservations of distinct users of one activity, `concurrency` in flight; returns each one's latency (ms). */
async function reserveMany(stock: StockService, activityId: number, count: number, concurrency: number): Promise<number[]> {
  const now = Date.now();
  await stock.prewarm({ id: activityId, startAt: now - 1000, endAt: now + 3600_000, stock: count, stockShards: 1 });
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const user = next++;
        const t0 = process.hrtime.bigint();
        const outcome = await stock.reserve(activityId, 1, { userId: String(user), reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (outcome.code !== 'OK') throw new Error(`reservation ${user}: ${outcome.code}`);
      }
    }),
  );
  return latencies;
}

async function measure(mode: Mode, concurrency: number, reservations: number): Promise<Run> {
  const server = await startTestRedisServer({ appendFsync: mode });
  const redis = new Redis(server.url);
  try {
    const stock = new StockService(redis, new RedisKeys('aof:'));
    await reserveMany(stock, 1, 1000, concurrency); // warm-up: JIT, connections, the AOF file's first pages
    const runs: Run[] = [];
    for (let i = 0; i < 3; i++) {
      const started = process.hrtime.bigint();
      const latencies = await reserveMany(stock, 2 + i, reservations, concurrency);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      latencies.sort((a, b) => a - b);
      runs.push({ mode, concurrency, perSecond: reservations / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) });
    }
    return runs.sort((a, b) => a.perSecond - b.perSecond)[1];
  } finally {
    redis.disconnect();
    await server.remove();
  }
}

async function main(): Promise<void> {
  const reservations = argument('reservations', 10_000);
  const load = loadavg()[0].toFixed(1);
  const runs: Run[] = [];
  for (const concurrency of [1, 64]) {
    for (const mode of ['none', 'everysec', 'always'] as Mode[]) runs.push(await measure(mode, concurrency, reservations));
  }
  console.log(`${reservations} reservations per run, median of 3 (reserve.lua through StockService; load average ${load} at the start)`);
  console.log('| persistence | in flight | reservations/s | p50 ms | p99 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const run of runs) {
    const mode = run.mode === 'none' ? 'none' : `appendonly yes, appendfsync ${run.mode}`;
    console.log(`| ${mode} | ${run.concurrency} | ${Math.round(run.perSecond)} | ${run.p50.toFixed(2)} | ${run.p99.toFixed(2)} |`);
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
