import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import Redis from 'ioredis';
import { AppConfig, RedisKeys } from '@seckill/platform';
import { StockKeys } from '@seckill/stock';
import { call, createTestConfig, createTestDatabases, dropTestResources, mintToken } from '@seckill/testing';
import { intFromEnv } from './lib/env';
import { LoadResult, runLoad } from './lib/load';
import { counts, fixed, table, thousands } from './lib/markdown';
import { Child, cpuSecondsOf, forkListening, freePort, sleep, startNode, stopChild, waitReady } from './lib/processes';
import { PurchasePool, UserMinter } from './lib/purchase-pool';

/**
 * `npm run bench:seckill`: requests/s and p50/p99 latency of
 *   (a) a bare fastify@5 handler (baseline),
 *   (b) POST /api/activities/:id/purchase while stock lasts (stock 10,000,000, a fresh user per request),
 *   (c) the same endpoint after sell-out (stock 1, sold; fresh users get 410 SOLD_OUT from the in-memory flag),
 * with (b) and (c) as a ratio of (a) beside their targets, and the no-oversell invariants checked after (b) and
 * (c). Every server runs in a child process; autocannon runs here. Prints a markdown report and writes it to
 * loadtest/reports/seckill-<date>.md. Exit code 1 when an invariant fails or the run breaks; missed throughput
 * targets are reported, not failed (this is a benchmark, not a test).
 */

const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 50);
const DURATION_SECONDS = intFromEnv('BENCH_DURATION_SECONDS', 10);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP_SECONDS', 3);
/** Extra Node flags for the seckill service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes. */
const SECKILL_NODE_ARGS = (process.env.BENCH_SECKILL_NODE_ARGS ?? '').split(' ').filter((arg) => arg.length > 0);
const BIG_STOCK = 10_000_000;
const TARGET_WHILE_STOCK_LASTS = 0.5;
const TARGET_AFTER_SELL_OUT = 0.8;
const PURCHASE_PATH = (activityId: number) => `/api/activities/${activityId}/purchase`;
const READY_TIMEOUT_MS = 60_000;
/** Users of the bench start here (the admin token is user 1). */
const FIRST_USER_ID = 1_000_000;
/** The bare server does not look at users: a small pool is reused round-robin. */
const BARE_POOL_SIZE = 20_000;

const repoRoot = resolve(__dirname, '..', '..');
const dist = resolve(__dirname, '..');


function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** The configuration as the environment of a service process (loadConfig reads it back). */
function toEnv(config: AppConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(config as unknown as Record<string, unknown>)) {
    env[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}

interface CpuSnapshot {
  at: number;
  server: number | undefined;
  generator: number;
  redis: number | undefined;
}

interface CpuUse {
  /** Cores busy on average during the run (CPU seconds / wall seconds). */
  server: number | undefined;
  generator: number;
  /** The whole Redis server, which other clients may share. */
  redis: number | undefined;
}

async function redisCpuSeconds(redis: Redis): Promise<number | undefined> {
  try {
    const info = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1]);
    const total = field('used_cpu_sys') + field('used_cpu_user');
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

async function cpuSnapshot(serverPid: number | undefined, redis: Redis): Promise<CpuSnapshot> {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    server: cpuSecondsOf(serverPid),
    generator: (own.user + own.system) / 1e6,
    redis: await redisCpuSeconds(redis),
  };
}

function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const wall = (after.at - before.at) / 1000;
  const rate = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : (b - a) / wall);
  return {
    server: rate(before.server, after.server),
    generator: (after.generator - before.generator) / wall,
    redis: rate(before.redis, after.redis),
  };
}

interface Measured {
  label: string;
  warmup: LoadResult;
  run: LoadResult;
  cpu: CpuUse;
  loadAverage: number;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Sum of a Prometheus counter/histogram series (all label sets) in the service's /metrics; undefined if absent. */
async function metricSum(baseUrl: string, name: string, labelFilter?: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    let sum: number | undefined;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      if (labelFilter && !(match[2] ?? '').includes(labelFilter)) continue;
      sum = (sum ?? 0) + Number(match[3]);
    }
    return sum;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  for (const script of ['apps/seckill/src/main.js', 'apps/admin/src/main.js', 'loadtest/bare-server.js']) {
    if (!existsSync(join(dist, script))) throw new Error(`dist/${script} is missing: run node tools/build.js first`);
  }
  const [seckillPort, adminPort] = [await freePort(), await freePort()];
  const config = createTestConfig({
    NODE_ENV: 'production',
    // BENCH_LOG_LEVEL=info measures the services with their access log on (one line per request).
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1',
    PURCHASE_TOKEN_TTL_SECONDS: '600',
    SECKILL_PORT: String(seckillPort),
    ADMIN_PORT: String(adminPort),
  });
  const env = toEnv(config);
  const seckillUrl = `http://127.0.0.1:${seckillPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const children: Child[] = [];
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });

  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await Promise.all(children.map((child) => stopChild(child)));
      redis.disconnect();
      try {
        await dropTestResources(config);
      } catch (error) {
        log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the services and removing the bench databases`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await redis.connect();
    log(`databases ${config.DATABASE_URL.split('/').pop()}{,_o0,_o1}, Redis prefix ${config.REDIS_KEY_PREFIX}`);
    await createTestDatabases(config);

    log('starting admin, seckill and the bare fastify server');
    const admin = startNode('admin', join(dist, 'apps/admin/src/main.js'), env);
    children.push(admin);
    const seckill = startNode('seckill', join(dist, 'apps/seckill/src/main.js'), env, SECKILL_NODE_ARGS);
    children.push(seckill);
    const barePromise = forkListening('bare', join(dist, 'loadtest/bare-server.js'), READY_TIMEOUT_MS);
    const bare = await barePromise;
    children.push(bare.child);
    await Promise.all([
      waitReady(admin, `${adminUrl}/health/ready`, READY_TIMEOUT_MS),
      waitReady(seckill, `${seckillUrl}/health/ready`, READY_TIMEOUT_MS),
    ]);
    const bareUrl = `http://127.0.0.1:${bare.port}`;

    // Activities through the admin API, as an operator would create them.
    const adminToken = mintToken(config, 1, 'admin');
    const createActivity = async (title: string, stock: number): Promise<number> => {
      const now = Date.now();
      const created = await call<{ id: number }>(`${adminUrl}/api/admin/activities`, {
        token: adminToken,
        body: {
          title,
          priceCents: 100,
          stock,
          startAt: new Date(now - 5_000).toISOString(),
          endAt: new Date(now + 3_600_000).toISOString(),
        },
      });
      if (created.status !== 201) throw new Error(`create activity: ${created.status} ${JSON.stringify(created.body)}`);
      const warmed = await call<{ remaining: number }>(`${adminUrl}/api/admin/activities/${created.body.id}/prewarm`, {
        method: 'POST',
        token: adminToken,
      });
      if (warmed.status !== 200 || warmed.body.remaining !== stock) {
        throw new Error(`prewarm activity ${created.body.id}: ${warmed.status} ${JSON.stringify(warmed.body)}`);
      }
      return created.body.id;
    };
    const bigActivity = await createActivity('bench: while stock lasts', BIG_STOCK);
    const soldOutActivity = await createActivity('bench: after sell-out', 1);
    const remainingOf = async (activityId: number): Promise<number> => {
      const response = await call<{ remaining: number }>(`${seckillUrl}/api/activities/${activityId}/stock`);
      if (response.status !== 200) throw new Error(`stock of ${activityId}: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.remaining;
    };

    const minter = new UserMinter(config, FIRST_USER_ID);
    const purchaseOnce = async (pool: PurchasePool, index: number) => {
      const response = await fetch(`${seckillUrl}${PURCHASE_PATH(pool.activityId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: pool.authorization[index] },
        body: pool.bodies[index],
      });
      pool.statuses[index] = response.status;
      pool.cursor = Math.max(pool.cursor, index + 1);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    // Sell the one unit of the sell-out activity, then check that the next buyer is told SOLD_OUT.
    const sellOutPool = minter.pool(soldOutActivity, 2);
    const sold = await purchaseOnce(sellOutPool, 0);
    const refused = await purchaseOnce(sellOutPool, 1);
    if (sold.status !== 202 || refused.status !== 410 || refused.body.code !== 'SOLD_OUT') {
      throw new Error(`selling out activity ${soldOutActivity}: got ${sold.status}, then ${refused.status} ${JSON.stringify(refused.body)}`);
    }
    // Setup done: the admin service plays no part in the hot path; stop it so it does not share the CPU.
    await stopChild(admin);
    const setupSeconds = (Date.now() - started) / 1000;

    const measure = async (
      label: string,
      server: Child,
      url: string,
      path: string,
      pools: { warmup: PurchasePool; run: (warmup: LoadResult) => PurchasePool },
      cycle: boolean,
    ): Promise<Measured> => {
      log(`${label}: warm-up ${WARMUP_SECONDS} s`);
      const load = (pool: PurchasePool, durationSeconds: number) =>
        runLoad({ url, path, connections: CONNECTIONS, durationSeconds, pool, cycle });
      const warmup = await load(pools.warmup, WARMUP_SECONDS);
      if (pools.warmup.exhausted) throw new Error(`${label}: the warm-up pool of ${pools.warmup.size} users ran out`);
      const pool = pools.run(warmup);
      log(`${label}: ${DURATION_SECONDS} s at ${CONNECTIONS} connections (pool of ${thousands(pool.size)} users)`);
      const loadAverage = loadavg()[0];
      const before = await cpuSnapshot(server.process.pid, redis);
      const run = await load(pool, DURATION_SECONDS);
      const after = await cpuSnapshot(server.process.pid, redis);
      if (pool.exhausted) {
        throw new Error(`${label}: the pool of ${pool.size} users ran out (${thousands(run.rps)} req/s); users must not be reused`);
      }
      log(`${label}: ${thousands(run.rps)} req/s, p50 ${fixed(run.p50, 2)} ms, p99 ${fixed(run.p99, 2)} ms`);
      return { label, warmup, run, cpu: cpuBetween(before, after), loadAverage };
    };

    // Pools sized from what the server showed it can do: the bare server bounds the others, the warm-up says how
    // close they come; generous margins, and a run that exhausts its pool fails instead of reusing users.
    const runPoolSize = (bareRps: number, warmup: LoadResult) =>
      Math.ceil(Math.min(bareRps * 1.5, Math.max(warmup.rps, 100) * 4) * DURATION_SECONDS) + 4 * CONNECTIONS;
    const warmupPoolSize = (bareRps: number) => Math.ceil(bareRps * 1.5 * WARMUP_SECONDS) + 4 * CONNECTIONS;

    // (a) bare fastify
    const barePool = minter.pool(bigActivity, BARE_POOL_SIZE);
    const a = await measure('(a) bare fastify', bare.child, bareUrl, PURCHASE_PATH(bigActivity), { warmup: barePool, run: () => barePool }, true);
    await stopChild(bare.child);
    const bareRps = a.run.rps;

    // (b) purchase while stock lasts
    const bPools: PurchasePool[] = [];
    const b = await measure(
      '(b) purchase, stock lasts',
      seckill,
      seckillUrl,
      PURCHASE_PATH(bigActivity),
      {
        warmup: track(bPools, minter.pool(bigActivity, warmupPoolSize(bareRps))),
        run: (warmup) => track(bPools, minter.pool(bigActivity, runPoolSize(bareRps, warmup))),
      },
      false,
    );
    const checks: Check[] = [];
    checks.push(...(await checkWhileStockLasts(bPools, bigActivity)));

    // (c) purchase after sell-out
    const reserveCallsBefore = await metricSum(seckillUrl, 'seckill_reserve_seconds_count');
    const cPools: PurchasePool[] = [];
    const c = await measure(
      '(c) purchase, sold out',
      seckill,
      seckillUrl,
      PURCHASE_PATH(soldOutActivity),
      {
        warmup: track(cPools, minter.pool(soldOutActivity, warmupPoolSize(bareRps))),
        run: (warmup) => track(cPools, minter.pool(soldOutActivity, runPoolSize(bareRps, warmup))),
      },
      false,
    );
    const reserveCallsAfter = await metricSum(seckillUrl, 'seckill_reserve_seconds_count');
    checks.push(...(await checkAfterSellOut(cPools, soldOutActivity, reserveCallsBefore, reserveCallsAfter)));

    const report = renderReport({ a, b, c, checks, setupSeconds, totalSeconds: (Date.now() - started) / 1000, seckill });
    const reportsDir = join(repoRoot, 'loadtest', 'reports');
    mkdirSync(reportsDir, { recursive: true });
    const file = join(reportsDir, `seckill-${new Date().toISOString().slice(0, 10)}.md`);
    writeFileSync(file, report);
    process.stdout.write(`${report}\nReport written to ${relative(process.cwd(), file)}\n`);
    if (checks.some((check) => !check.ok)) process.exitCode = 1;

    function track(list: PurchasePool[], pool: PurchasePool): PurchasePool {
      list.push(pool);
      return pool;
    }

    /** Remaining stock once in-flight requests (cut off when a run stopped) have been answered by the server. */
    async function settledRemaining(activityId: number): Promise<number> {
      let last = await remainingOf(activityId);
      for (let i = 0; i < 40; i++) {
        await sleep(250);
        const now = await remainingOf(activityId);
        if (now === last) return now;
        last = now;
      }
      return last;
    }

    /**
     * Entries handed out but never answered: requests in flight when autocannon stopped a run (it closes the
     * sockets; the server still completes them). Asks the result endpoint whether each of those users holds a unit.
     */
    async function unansweredReservations(pools: PurchasePool[], activityId: number): Promise<{ unanswered: number; reserved: number }> {
      let unanswered = 0;
      let reserved = 0;
      for (const pool of pools) {
        for (let i = 0; i < Math.min(pool.cursor, pool.size); i++) {
          if (pool.statuses[i] !== 0) continue;
          unanswered++;
          const result = await call<{ status: string }>(`${seckillUrl}/api/activities/${activityId}/result`, {
            token: minter.accessToken(pool.firstUserId + i),
          });
          if (result.status !== 200) throw new Error(`result of user ${pool.firstUserId + i}: ${result.status} ${JSON.stringify(result.body)}`);
          if (result.body.status !== 'NONE') reserved++;
        }
      }
      return { unanswered, reserved };
    }

    function statusTally(pools: PurchasePool[]): Map<number, number> {
      const tally = new Map<number, number>();
      for (const pool of pools) {
        for (let i = 0; i < Math.min(pool.cursor, pool.size); i++) {
          const status = pool.statuses[i];
          if (status !== 0) tally.set(status, (tally.get(status) ?? 0) + 1);
        }
      }
      return tally;
    }

    async function holdersOf(activityId: number): Promise<number> {
      return redis.hlen(new StockKeys(new RedisKeys(config.REDIS_KEY_PREFIX), activityId, 1).holders);
    }

    async function checkWhileStockLasts(pools: PurchasePool[], activityId: number): Promise<Check[]> {
      const remaining = await settledRemaining(activityId);
      const consumed = BIG_STOCK - remaining;
      const tally = statusTally(pools);
      const accepted = tally.get(202) ?? 0;
      const { unanswered, reserved } = await unansweredReservations(pools, activityId);
      const holders = await holdersOf(activityId);
      const other = [...tally].filter(([status]) => status !== 202);
      return [
        {
          name: '(b) 202 answers = stock consumed (no oversell)',
          ok: accepted + reserved === consumed,
          detail:
            `${thousands(accepted)} answered 202 + ${reserved} reserved by requests in flight when a run stopped ` +
            `(${unanswered} unanswered) = ${thousands(accepted + reserved)}; stock − remaining = ` +
            `${thousands(BIG_STOCK)} − ${thousands(remaining)} = ${thousands(consumed)}`,
        },
        {
          name: '(b) one unit per user: holders = stock consumed',
          ok: holders === consumed,
          detail: `${thousands(holders)} users hold a unit in Redis, ${thousands(consumed)} units consumed`,
        },
        {
          name: '(b) every answer while stock lasts is 202',
          ok: other.length === 0,
          detail: other.length === 0 ? `${thousands(accepted)} × 202` : `other answers: ${other.map(([s, n]) => `${s}×${n}`).join(', ')}`,
        },
      ];
    }

    async function checkAfterSellOut(
      pools: PurchasePool[],
      activityId: number,
      reserveBefore: number | undefined,
      reserveAfter: number | undefined,
    ): Promise<Check[]> {
      const remaining = await settledRemaining(activityId);
      const tally = statusTally(pools);
      const refused = tally.get(410) ?? 0;
      const other = [...tally].filter(([status]) => status !== 410);
      const holders = await holdersOf(activityId);
      const codes = { ...c.warmup.errorCodes };
      for (const [code, n] of Object.entries(c.run.errorCodes)) codes[code] = (codes[code] ?? 0) + n;
      const checks: Check[] = [
        {
          name: '(c) no oversell after sell-out',
          ok: remaining === 0 && holders === 1,
          detail: `remaining ${remaining}, ${holders} holder (the one 202 of the setup), stock 1`,
        },
        {
          name: '(c) every answer after sell-out is 410 SOLD_OUT',
          ok: other.length === 0 && codes.SOLD_OUT === refused && Object.keys(codes).length === 1,
          detail:
            other.length === 0
              ? `${thousands(refused)} × 410 (codes: ${counts(codes)})`
              : `other answers: ${other.map(([s, n]) => `${s}×${n}`).join(', ')}; codes: ${counts(codes)}`,
        },
      ];
      if (reserveBefore !== undefined && reserveAfter !== undefined) {
        checks.push({
          name: '(c) answered from the in-memory flag (no reservation script call)',
          ok: reserveAfter === reserveBefore,
          detail: `seckill_reserve_seconds_count ${reserveBefore} before, ${reserveAfter} after`,
        });
      }
      return checks;
    }
  } finally {
    await cleanup();
  }
}

function renderReport(input: {
  a: Measured;
  b: Measured;
  c: Measured;
  checks: Check[];
  setupSeconds: number;
  totalSeconds: number;
  seckill: Child;
}): string {
  const { a, b, c, checks } = input;
  const bare = a.run.rps;
  const ratio = (m: Measured) => m.run.rps / bare;
  const row = (m: Measured, target: number | undefined): string[] => [
    m.label,
    thousands(m.run.rps),
    fixed(m.run.p50, 2),
    fixed(m.run.p99, 2),
    m === a ? '1.00' : fixed(ratio(m), 2),
    target === undefined ? '-' : `≥ ${fixed(target, 2)} ${ratio(m) >= target ? 'met' : 'MISSED'}`,
    thousands(m.run.responses),
    counts(m.run.statusCounts),
    `${m.run.errors}/${m.run.timeouts}`,
  ];
  const results = table(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', '× bare', 'target', 'responses', 'status codes', 'errors/timeouts'],
    [row(a, undefined), row(b, TARGET_WHILE_STOCK_LASTS), row(c, TARGET_AFTER_SELL_OUT)],
    [false, true, true, true, true, false, true, false, true],
  );
  const cores = (value: number | undefined) => (value === undefined ? 'n/a' : fixed(value, 2));
  const cpuTable = table(
    ['scenario', 'server process', 'load generator (this process)', 'Redis (whole server)', 'load average (1 min) before'],
    [a, b, c].map((m) => [m.label, cores(m.cpu.server), cores(m.cpu.generator), m === a ? '-' : cores(m.cpu.redis), fixed(m.loadAverage, 2)]),
    [false, true, true, true, true],
  );
  const warmups = [a, b, c]
    .map((m) => `${m.label}: ${thousands(m.warmup.rps)} req/s, ${counts(m.warmup.statusCounts)}, errors ${m.warmup.errors}`)
    .join('; ');
  const cpu = cpus();
  return [
    `# Seckill purchase benchmark, ${new Date().toISOString()}`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}. ` +
      `Load: autocannon 8 in the bench process, ${CONNECTIONS} connections, pipelining 1, ${DURATION_SECONDS} s per ` +
      `scenario after a ${WARMUP_SECONDS} s warm-up; servers in child processes (one seckill instance, LOG_LEVEL=warn, ` +
      `127.0.0.1 allowlisted from per-IP limits). Every request is POST ${'`/api/activities/:id/purchase`'} with its own ` +
      'access token and purchase token, pre-built before the run; (a) gets the same requests.',
    '',
    '## Results',
    '',
    results,
    '',
    '(a) a bare fastify@5 handler answering a small JSON. (b) the purchase endpoint while stock lasts (stock ' +
      `${thousands(BIG_STOCK)}, a fresh user per request). (c) the same endpoint after sell-out (stock 1, sold; fresh ` +
      'users answered 410 SOLD_OUT from the in-memory flag). Latency percentiles are over every response of the ' +
      'measured run. Targets: (b) ≥ 0.5 × bare, (c) ≥ 0.8 × bare.',
    '',
    '## Invariants',
    '',
    ...checks.map((check) => `- ${check.ok ? 'OK' : 'FAILED'}: ${check.name}: ${check.detail}`),
    '',
    '## CPU during the measured runs (cores busy on average)',
    '',
    cpuTable,
    '',
    `The machine has ${cpu.length} cores shared by the server, the load generator and Redis (and anything else running). ` +
      'Redis CPU is for the whole server, which other clients may share.',
    '',
    '## Run',
    '',
    `- Warm-ups: ${warmups}.`,
    `- Setup (databases, services, activities) ${fixed(input.setupSeconds, 1)} s; whole bench ${fixed(input.totalSeconds, 1)} s.`,
    `- The seckill service printed ${input.seckill.lines} log line(s) at level warn or above.`,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
