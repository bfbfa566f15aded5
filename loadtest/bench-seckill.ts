import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import Redis from 'ioredis';
import * as mariadb from 'mariadb';
import { poolConfigFromUrl, RedisKeys } from '@seckill/platform';
import { StockKeys } from '@seckill/stock';
import { call, configToEnv, createTestConfig, createTestDatabases, dropTestResources, mintToken } from '@seckill/testing';
import { intFromEnv } from './lib/env';
import { LoadResult, runLoad } from './lib/load';
import { counts, fixed, table, thousands } from './lib/markdown';
import {
  Child,
  cpuSecondsOf,
  forkListening,
  freePort,
  machineBusySeconds,
  pidOf,
  sleep,
  startNode,
  stopChild,
  waitReady,
} from './lib/processes';
import { PurchasePool, UserMinter } from './lib/purchase-pool';

/**
 * `npm run bench:seckill`: requests/s, latency and CPU of the purchase path and the catalog read against baselines
 * that get the very same requests, in one run, each scenario with its ratio:
 *   POST /api/activities/:id/purchase, `Authorization: Bearer <access token>`, `{"token": <purchase token>}`, one
 *   synthetic user per request (same headers and body size everywhere):
 *     raw node:http · bare Fastify · purchase while stock lasts · its floor (the same token checks and Redis call on
 *     raw node:http, floor-server.ts) · purchase after sell-out · the straight-to-database seckill (UPDATE … stock > 0
 *     + INSERT in one transaction, db-seckill-server.ts);
 *   GET /api/activities/:id: raw node:http · bare Fastify (both answering the catalog's own bytes) · the catalog read.
 * Beside every figure: the server's CPU (cores, and µs per answer), the load generator's (autocannon runs in this
 * process: process.cpuUsage over the run) and the rest of the machine's (/proc/stat less the two). A figure taken
 * while the generator, or the rest of the machine, held about a core (≥ GENERATOR_LIMIT) is marked "not a
 * measurement of the server": on a small machine the generator is then what was measured. BENCH_WRK=1 cross-checks
 * the POST baselines and the sold-out figure with wrk (written in C, one thread) when it is installed. Invariants
 * (no oversell, one per user, every answer as expected) are checked after the runs; a failure sets exit code 1.
 * Prints a markdown report and writes it to loadtest/reports/seckill-<date>.md. Missed targets are reported, not
 * failed (a benchmark, not a test).
 */

const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 100);
const DURATION_SECONDS = intFromEnv('BENCH_DURATION_SECONDS', 10);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP_SECONDS', 3);
/** Extra Node flags for the seckill service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes. */
const SECKILL_NODE_ARGS = (process.env.BENCH_SECKILL_NODE_ARGS ?? '').split(' ').filter((arg) => arg.length > 0);
/** Scenarios to run, by key (comma-separated); all by default. */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter((key) => key.length > 0);
const WRK = process.env.BENCH_WRK === '1';
const BIG_STOCK = 10_000_000;
/** Cores: a generator (or the rest of the machine) this busy is the bottleneck, not the server. */
const GENERATOR_LIMIT = 0.9;
const PURCHASE_PATH = (activityId: number) => `/api/activities/${activityId}/purchase`;
const READY_TIMEOUT_MS = 60_000;
/** Users of the bench start here (the admin token is user 1). */
const FIRST_USER_ID = 1_000_000;
/** The bare servers do not look at users: a small pool is reused round-robin. */
const BARE_POOL_SIZE = 20_000;
/** The straight-to-database seckill's activity (its own table, see db-seckill-server.ts). */
const DB_ACTIVITY = 1;

const repoRoot = resolve(__dirname, '..', '..');
const dist = resolve(__dirname, '..');

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

interface CpuSnapshot {
  at: number;
  server: number | undefined;
  generator: number;
  redis: number | undefined;
  mariadb: number | undefined;
  machine: number | undefined;
}

/** Cores busy on average during a run (CPU seconds / wall seconds). */
interface CpuUse {
  server: number | undefined;
  /** The load generator: this process. */
  generator: number;
  /** The whole Redis server, which other clients may share. */
  redis: number | undefined;
  /** The whole MariaDB server, which other clients may share. */
  mariadb: number | undefined;
  /** The machine less the server, the generator, Redis and MariaDB: other helpers' tests, the OS. */
  others: number | undefined;
  /** Server CPU seconds over the run. */
  serverSeconds: number | undefined;
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

const mariadbPid = pidOf('mariadbd', 'mysqld');

async function cpuSnapshot(serverPid: number | undefined, redis: Redis): Promise<CpuSnapshot> {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    server: cpuSecondsOf(serverPid),
    generator: (own.user + own.system) / 1e6,
    redis: await redisCpuSeconds(redis),
    mariadb: cpuSecondsOf(mariadbPid),
    machine: machineBusySeconds(),
  };
}

function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, extraGenerator = 0): CpuUse {
  const wall = (after.at - before.at) / 1000;
  const delta = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : b - a);
  const rate = (a: number | undefined, b: number | undefined) => {
    const d = delta(a, b);
    return d === undefined ? undefined : d / wall;
  };
  const server = rate(before.server, after.server);
  const generator = (after.generator - before.generator + extraGenerator) / wall;
  const redisCores = rate(before.redis, after.redis);
  const mariadbCores = rate(before.mariadb, after.mariadb);
  const machine = rate(before.machine, after.machine);
  const others =
    machine === undefined ? undefined : Math.max(0, machine - (server ?? 0) - generator - (redisCores ?? 0) - (mariadbCores ?? 0));
  return { server, generator, redis: redisCores, mariadb: mariadbCores, others, serverSeconds: delta(before.server, after.server) };
}

type Group = 'POST' | 'GET';

interface Measured {
  key: string;
  label: string;
  group: Group;
  warmup: LoadResult;
  run: LoadResult;
  cpu: CpuUse;
  loadAverage: number;
  /** Set by the report: the figure this one is a ratio of, and the target. */
  reference?: string;
  target?: number;
}

/** The server's CPU per accepted purchase (its CPU time over the run / its 202 answers), in µs; undefined without either. */
function usPerAccepted(measured: Measured): number | undefined {
  const accepted = measured.run.statusCounts['202'] ?? 0;
  return measured.cpu.serverSeconds !== undefined && accepted > 0 ? (measured.cpu.serverSeconds / accepted) * 1e6 : undefined;
}

interface WrkMeasured {
  label: string;
  rps: number;
  non2xx: number;
  generator: number | undefined;
  server: number | undefined;
  /** The machine less the server and wrk (Redis and MariaDB included). */
  others: number | undefined;
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

/** Whether a figure measured the generator (or a busy machine) rather than the server. */
function notTheServer(cpu: { generator: number | undefined; others?: number | undefined }): string | undefined {
  if (cpu.generator !== undefined && cpu.generator >= GENERATOR_LIMIT) return `generator ${fixed(cpu.generator, 2)} cores`;
  if (cpu.others !== undefined && cpu.others >= GENERATOR_LIMIT) return `other processes ${fixed(cpu.others, 2)} cores`;
  return undefined;
}

function wrkAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('sh', ['-c', 'command -v wrk'], (error) => resolve(!error)));
}

/**
 * One wrk run (1 thread, CONNECTIONS connections) sending the pool's requests round-robin from a Lua script; its CPU
 * from the shell's `times` (children's user and system time).
 */
async function runWrk(url: string, path: string, pool: PurchasePool, entries: number, serverPid: number | undefined): Promise<Omit<WrkMeasured, 'label'>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const requests = join(dir, 'requests.tsv');
    const lines: string[] = [];
    for (let i = 0; i < Math.min(entries, pool.size); i++) lines.push(`${pool.authorization[i]}\t${pool.bodies[i]}`);
    writeFileSync(requests, `${lines.join('\n')}\n`);
    const script = join(dir, 'post.lua');
    writeFileSync(
      script,
      [
        // Built in init(): wrk adds the Host header to wrk.headers only then (without it, Node answers 400).
        'local entries = {}',
        'init = function(args)',
        `  for line in io.lines("${requests}") do`,
        '    local auth, body = line:match("^([^\\t]*)\\t(.*)$")',
        '    entries[#entries + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)',
        '  end',
        'end',
        'local i = 0',
        'request = function()',
        '  i = i % #entries + 1',
        '  return entries[i]',
        'end',
        '',
      ].join('\n'),
    );
    const loadAverage = loadavg()[0];
    const before = cpuSecondsOf(serverPid);
    const machineBefore = machineBusySeconds();
    const started = performance.now();
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        'sh',
        ['-c', `wrk -t1 -c${CONNECTIONS} -d${DURATION_SECONDS}s -s "$1" "$2"; times`, 'sh', script, `${url}${path}`],
        { maxBuffer: 1 << 20 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    const wall = (performance.now() - started) / 1000;
    const after = cpuSecondsOf(serverPid);
    const machineAfter = machineBusySeconds();
    const rps = Number(/Requests\/sec:\s+([0-9.]+)/.exec(output)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+([0-9]+)/.exec(output)?.[1] ?? 0);
    // `times`: the shell's own user/system times, then its children's (wrk's), as "XmY.ZZZs XmY.ZZZs".
    const timesLine = output.trim().split('\n').pop() ?? '';
    const seconds = [...timesLine.matchAll(/([0-9]+)m([0-9.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
    const generator = seconds > 0 ? seconds / wall : undefined;
    const server = before === undefined || after === undefined ? undefined : (after - before) / wall;
    const machine = machineBefore === undefined || machineAfter === undefined ? undefined : (machineAfter - machineBefore) / wall;
    return {
      rps,
      non2xx,
      generator,
      server,
      others: machine === undefined ? undefined : Math.max(0, machine - (server ?? 0) - (generator ?? 0)),
      loadAverage,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  for (const script of ['apps/seckill/src/main.js', 'apps/admin/src/main.js', 'loadtest/bare-server.js', 'loadtest/db-seckill-server.js', 'loadtest/floor-server.js']) {
    if (!existsSync(join(dist, script))) throw new Error(`dist/${script} is missing: run node tools/build.js first`);
  }
  const machineLoadAtStart = loadavg();
  const [seckillPort, adminPort] = [await freePort(), await freePort()];
  const config = createTestConfig({
    NODE_ENV: 'production',
    // BENCH_LOG_LEVEL=info measures the services with their access log on (one line per request).
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    JWT_SECRET: randomBytes(32).toString('hex'),
    // Production mode refuses the development defaults of every secret: random ones for the run.
    ADMIN_PASSWORD: randomBytes(16).toString('hex'),
    PAYMENT_WEBHOOK_SECRET: randomBytes(16).toString('hex'),
    PROVIDER_ADMIN_KEY: randomBytes(16).toString('hex'),
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1',
    PURCHASE_TOKEN_TTL_SECONDS: '600',
    SECKILL_PORT: String(seckillPort),
    ADMIN_PORT: String(adminPort),
  });
  const env: NodeJS.ProcessEnv = { ...process.env, ...configToEnv(config) };
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

    log('starting admin and seckill');
    const admin = startNode('admin', join(dist, 'apps/admin/src/main.js'), env);
    children.push(admin);
    const seckill = startNode('seckill', join(dist, 'apps/seckill/src/main.js'), env, SECKILL_NODE_ARGS);
    children.push(seckill);
    await Promise.all([
      waitReady(admin, `${adminUrl}/health/ready`, READY_TIMEOUT_MS),
      waitReady(seckill, `${seckillUrl}/health/ready`, READY_TIMEOUT_MS),
    ]);

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
    const floorActivity = await createActivity('bench: the purchase floor', BIG_STOCK);
    const remainingOf = async (activityId: number): Promise<number> => {
      const response = await call<{ remaining: number }>(`${seckillUrl}/api/activities/${activityId}/stock`);
      if (response.status !== 200) throw new Error(`stock of ${activityId}: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.remaining;
    };
    // The catalog's answer, for the GET baselines to send the same bytes.
    const catalogBody = await (await fetch(`${seckillUrl}/api/activities/${bigActivity}`)).text();

    log('starting the baselines: raw node:http, bare Fastify, the purchase floor, the straight-to-database seckill');
    const bareEnv = { ...process.env, BARE_GET_BODY: catalogBody };
    const nodeBare = await forkListening('node-http', join(dist, 'loadtest/bare-server.js'), READY_TIMEOUT_MS, ['node'], bareEnv);
    children.push(nodeBare.child);
    const fastifyBare = await forkListening('fastify', join(dist, 'loadtest/bare-server.js'), READY_TIMEOUT_MS, ['fastify'], bareEnv);
    children.push(fastifyBare.child);
    const dbServer = await forkListening('db-seckill', join(dist, 'loadtest/db-seckill-server.js'), READY_TIMEOUT_MS, [], {
      ...process.env,
      DATABASE_URL: config.DATABASE_URL,
      JWT_SECRET: config.JWT_SECRET,
      BENCH_DB_STOCK: String(BIG_STOCK),
    });
    children.push(dbServer.child);
    const floorServer = await forkListening('floor', join(dist, 'loadtest/floor-server.js'), READY_TIMEOUT_MS, [], env);
    children.push(floorServer.child);
    const urlOf = (port: number) => `http://127.0.0.1:${port}`;

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

    const runs: Measured[] = [];
    const wanted = (key: string) => ONLY.length === 0 || ONLY.includes(key);
    const measure = async (
      key: string,
      label: string,
      group: Group,
      server: Child,
      url: string,
      path: string,
      pools: { warmup?: PurchasePool; run: (warmup: LoadResult) => PurchasePool | undefined },
      cycle: boolean,
    ): Promise<Measured> => {
      log(`${label}: warm-up ${WARMUP_SECONDS} s`);
      const load = (pool: PurchasePool | undefined, durationSeconds: number) =>
        runLoad({ url, path, connections: CONNECTIONS, durationSeconds, pool, cycle });
      const warmup = await load(pools.warmup, WARMUP_SECONDS);
      if (pools.warmup?.exhausted) throw new Error(`${label}: the warm-up pool of ${pools.warmup.size} users ran out`);
      const pool = pools.run(warmup);
      log(`${label}: ${DURATION_SECONDS} s at ${CONNECTIONS} connections${pool ? ` (pool of ${thousands(pool.size)} users)` : ''}`);
      const loadAverage = loadavg()[0];
      const before = await cpuSnapshot(server.process.pid, redis);
      const run = await load(pool, DURATION_SECONDS);
      const after = await cpuSnapshot(server.process.pid, redis);
      if (pool?.exhausted) {
        throw new Error(`${label}: the pool of ${pool.size} users ran out (${thousands(run.rps)} req/s); users must not be reused`);
      }
      const cpu = cpuBetween(before, after);
      log(
        `${label}: ${thousands(run.rps)} req/s, p50 ${fixed(run.p50, 2)} ms, p99 ${fixed(run.p99, 2)} ms; cores: server ` +
          `${fixed(cpu.server ?? NaN, 2)}, generator ${fixed(cpu.generator, 2)}, others ${fixed(cpu.others ?? NaN, 2)}`,
      );
      const measured: Measured = { key, label, group, warmup, run, cpu, loadAverage };
      runs.push(measured);
      return measured;
    };

    // Pools sized from what the baselines showed this machine can carry; generous margins, and a run that exhausts
    // its pool fails instead of reusing users.
    let ceilingRps = 0;
    // (The sold-out target is above the bare figure, and a warm-up on a busy machine can say little: twice the
    // fastest baseline, or four times the warm-up.)
    const runPoolSize = (warmup: LoadResult) =>
      Math.ceil(Math.max(ceilingRps * 2, warmup.rps * 4) * DURATION_SECONDS) + 4 * CONNECTIONS;
    const warmupPoolSize = () => Math.ceil(ceilingRps * 2 * WARMUP_SECONDS) + 4 * CONNECTIONS;

    // Baselines of the POST: the same requests (a small pool reused round-robin: they do not look at users).
    const barePool = minter.pool(bigActivity, BARE_POOL_SIZE);
    for (const [key, label, server] of [
      ['node-post', 'raw node:http POST', nodeBare],
      ['fastify-post', 'bare Fastify POST', fastifyBare],
    ] as const) {
      if (!wanted(key) && !(key === 'fastify-post' && ceilingRps === 0)) continue;
      const m = await measure(key, label, 'POST', server.child, urlOf(server.port), PURCHASE_PATH(bigActivity), { warmup: barePool, run: () => barePool }, true);
      ceilingRps = Math.max(ceilingRps, m.run.rps);
    }

    const checks: Check[] = [];
    const bPools: PurchasePool[] = [];
    const cPools: PurchasePool[] = [];
    const floorPools: PurchasePool[] = [];
    const dbPools: PurchasePool[] = [];
    const track = (list: PurchasePool[], pool: PurchasePool): PurchasePool => {
      list.push(pool);
      return pool;
    };
    const fresh = (list: PurchasePool[], activityId: number) => ({
      warmup: track(list, minter.pool(activityId, warmupPoolSize())),
      run: (warmup: LoadResult) => track(list, minter.pool(activityId, runPoolSize(warmup))),
    });

    let acceptedUs: number | undefined;
    if (wanted('in-stock')) {
      const b = await measure('in-stock', 'purchase, in stock', 'POST', seckill, seckillUrl, PURCHASE_PATH(bigActivity), fresh(bPools, bigActivity), false);
      acceptedUs = usPerAccepted(b);
      checks.push(...(await checkWhileStockLasts('in stock', bPools, bigActivity)));
    }
    let floorUs: number | undefined;
    if (wanted('floor')) {
      const f = await measure('floor', 'purchase floor (raw node:http, same checks and Redis call)', 'POST', floorServer.child, urlOf(floorServer.port), PURCHASE_PATH(floorActivity), fresh(floorPools, floorActivity), false);
      floorUs = usPerAccepted(f);
      checks.push(...(await checkWhileStockLasts('purchase floor', floorPools, floorActivity)));
    }
    if (wanted('sold-out')) {
      const reserveCallsBefore = await metricSum(seckillUrl, 'seckill_reserve_seconds_count');
      const c = await measure('sold-out', 'purchase, sold out', 'POST', seckill, seckillUrl, PURCHASE_PATH(soldOutActivity), fresh(cPools, soldOutActivity), false);
      const reserveCallsAfter = await metricSum(seckillUrl, 'seckill_reserve_seconds_count');
      checks.push(...(await checkAfterSellOut(cPools, soldOutActivity, c, reserveCallsBefore, reserveCallsAfter)));
    }
    if (wanted('db')) {
      await measure('db', 'straight-to-database seckill', 'POST', dbServer.child, urlOf(dbServer.port), PURCHASE_PATH(DB_ACTIVITY), fresh(dbPools, DB_ACTIVITY), false);
      checks.push(...(await checkDatabase(dbPools)));
    }

    // The catalog read and its baselines: the same GET, answered with the same bytes.
    const catalogPath = `/api/activities/${bigActivity}`;
    for (const [key, label, server, url] of [
      ['node-get', 'raw node:http GET', nodeBare.child, urlOf(nodeBare.port)],
      ['fastify-get', 'bare Fastify GET', fastifyBare.child, urlOf(fastifyBare.port)],
      ['catalog', 'catalog read (GET /api/activities/:id)', seckill, seckillUrl],
    ] as const) {
      if (!wanted(key)) continue;
      const m = await measure(key, label, 'GET', server, url, catalogPath, { run: () => undefined }, true);
      const other = Object.entries(m.run.statusCounts).filter(([status]) => status !== '200');
      checks.push({
        name: `${label}: every answer is 200`,
        ok: other.length === 0,
        detail: counts(m.run.statusCounts),
      });
    }

    const wrkRuns: WrkMeasured[] = [];
    if (WRK) {
      if (!(await wrkAvailable())) {
        log('BENCH_WRK=1 but wrk is not installed (apt-get install wrk): no cross-check');
      } else {
        const soldOutWrkPool = minter.pool(soldOutActivity, BARE_POOL_SIZE);
        // wrk goes round its requests; in stock, a user sent twice would be answered 409 (counted as non-2xx): a pool
        // for twice the fastest baseline's rate (and at least 100,000 users).
        const inStockWrkPool = minter.pool(bigActivity, Math.max(100_000, Math.ceil(ceilingRps * 2 * DURATION_SECONDS)));
        const floorWrkPool = minter.pool(floorActivity, inStockWrkPool.size);
        for (const [label, server, url, path, pool] of [
          ['raw node:http POST', nodeBare.child, urlOf(nodeBare.port), PURCHASE_PATH(bigActivity), barePool],
          ['bare Fastify POST', fastifyBare.child, urlOf(fastifyBare.port), PURCHASE_PATH(bigActivity), barePool],
          ['purchase, in stock', seckill, seckillUrl, PURCHASE_PATH(bigActivity), inStockWrkPool],
          ['purchase floor', floorServer.child, urlOf(floorServer.port), PURCHASE_PATH(floorActivity), floorWrkPool],
          ['purchase, sold out', seckill, seckillUrl, PURCHASE_PATH(soldOutActivity), soldOutWrkPool],
        ] as const) {
          log(`wrk: ${label}, ${DURATION_SECONDS} s`);
          const measured = { label, ...(await runWrk(url, path, pool, pool.size, server.process.pid)) };
          log(`wrk: ${label}: ${thousands(measured.rps)} req/s, wrk ${fixed(measured.generator ?? NaN, 2)} cores`);
          wrkRuns.push(measured);
        }
      }
    }

    const report = renderReport({
      runs,
      wrkRuns,
      checks,
      acceptedUs,
      floorUs,
      setupSeconds,
      totalSeconds: (Date.now() - started) / 1000,
      seckill,
      machineLoadAtStart,
    });
    const reportsDir = join(repoRoot, 'loadtest', 'reports');
    mkdirSync(reportsDir, { recursive: true });
    // One file per run (a run never overwrites the figures a README quotes): seckill-2026-11-28T10-14-57.md.
    const file = join(reportsDir, `seckill-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.md`);
    writeFileSync(file, report);
    process.stdout.write(`${report}\nReport written to ${relative(process.cwd(), file)}\n`);
    if (checks.some((check) => !check.ok)) process.exitCode = 1;

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

    function unansweredCount(pools: PurchasePool[]): number {
      let unanswered = 0;
      for (const pool of pools) for (let i = 0; i < Math.min(pool.cursor, pool.size); i++) if (pool.statuses[i] === 0) unanswered++;
      return unanswered;
    }

    async function holdersOf(activityId: number): Promise<number> {
      return redis.hlen(new StockKeys(new RedisKeys(config.REDIS_KEY_PREFIX), activityId, 1).holders);
    }

    async function checkWhileStockLasts(name: string, pools: PurchasePool[], activityId: number): Promise<Check[]> {
      const remaining = await settledRemaining(activityId);
      const consumed = BIG_STOCK - remaining;
      const tally = statusTally(pools);
      const accepted = tally.get(202) ?? 0;
      const { unanswered, reserved } = await unansweredReservations(pools, activityId);
      const holders = await holdersOf(activityId);
      const other = [...tally].filter(([status]) => status !== 202);
      return [
        {
          name: `${name}: 202 answers = stock consumed (no oversell)`,
          ok: accepted + reserved === consumed,
          detail:
            `${thousands(accepted)} answered 202 + ${reserved} reserved by requests in flight when a run stopped ` +
            `(${unanswered} unanswered) = ${thousands(accepted + reserved)}; stock − remaining = ` +
            `${thousands(BIG_STOCK)} − ${thousands(remaining)} = ${thousands(consumed)}`,
        },
        {
          name: `${name}: one unit per user: holders = stock consumed`,
          ok: holders === consumed,
          detail: `${thousands(holders)} users hold a unit in Redis, ${thousands(consumed)} units consumed`,
        },
        {
          name: `${name}: every answer is 202`,
          ok: other.length === 0,
          detail: other.length === 0 ? `${thousands(accepted)} × 202` : `other answers: ${other.map(([s, n]) => `${s}×${n}`).join(', ')}`,
        },
      ];
    }

    async function checkAfterSellOut(
      pools: PurchasePool[],
      activityId: number,
      c: Measured,
      reserveBefore: number | undefined,
      reserveAfter: number | undefined,
    ): Promise<Check[]> {
      const remaining = await settledRemaining(activityId);
      const tally = statusTally(pools);
      const refusedCount = tally.get(410) ?? 0;
      const other = [...tally].filter(([status]) => status !== 410);
      const holders = await holdersOf(activityId);
      const codes = { ...c.warmup.errorCodes };
      for (const [code, n] of Object.entries(c.run.errorCodes)) codes[code] = (codes[code] ?? 0) + n;
      const result: Check[] = [
        {
          name: 'sold out: no oversell',
          ok: remaining === 0 && holders === 1,
          detail: `remaining ${remaining}, ${holders} holder (the one 202 of the setup), stock 1`,
        },
        {
          name: 'sold out: every answer is 410 SOLD_OUT',
          ok: other.length === 0 && codes.SOLD_OUT === refusedCount && Object.keys(codes).length === 1,
          detail:
            other.length === 0
              ? `${thousands(refusedCount)} × 410 (codes: ${counts(codes)})`
              : `other answers: ${other.map(([s, n]) => `${s}×${n}`).join(', ')}; codes: ${counts(codes)}`,
        },
      ];
      if (reserveBefore !== undefined && reserveAfter !== undefined) {
        result.push({
          name: 'sold out: answered from the in-memory flag (no reservation script call)',
          ok: reserveAfter === reserveBefore,
          detail: `seckill_reserve_seconds_count ${reserveBefore} before, ${reserveAfter} after`,
        });
      }
      return result;
    }

    async function checkDatabase(pools: PurchasePool[]): Promise<Check[]> {
      await sleep(500); // transactions of requests in flight when the run stopped
      const target = poolConfigFromUrl(config.DATABASE_URL, 1);
      const connection = await mariadb.createConnection({
        host: target.host,
        port: target.port,
        user: target.user,
        password: target.password,
        database: target.database,
      });
      try {
        const [{ stock }] = (await connection.query('SELECT stock FROM bench_db_stock WHERE id = ?', [DB_ACTIVITY])) as Array<{ stock: number }>;
        const [{ orders, users }] = (await connection.query(
          'SELECT COUNT(*) AS orders, COUNT(DISTINCT user_id) AS users FROM bench_db_orders WHERE activity_id = ?',
          [DB_ACTIVITY],
        )) as Array<{ orders: bigint; users: bigint }>;
        const consumed = BIG_STOCK - Number(stock);
        const accepted = statusTally(pools).get(202) ?? 0;
        const unanswered = unansweredCount(pools);
        return [
          {
            name: 'straight to the database: orders = stock consumed, one per user, every 202 an order',
            ok: Number(orders) === consumed && Number(users) === consumed && accepted <= consumed && consumed <= accepted + unanswered,
            detail:
              `${thousands(Number(orders))} orders of ${thousands(Number(users))} users; stock consumed ${thousands(consumed)}; ` +
              `${thousands(accepted)} answered 202 (+ ${unanswered} unanswered in flight)`,
          },
        ];
      } finally {
        await connection.end();
      }
    }
  } finally {
    await cleanup();
  }
}

/** Each figure's reference (the ratio's denominator) and target. */
const REFERENCES: Record<string, { reference: string; target?: number }> = {
  'fastify-post': { reference: 'node-post', target: 0.7 },
  'in-stock': { reference: 'fastify-post', target: 0.8 },
  floor: { reference: 'fastify-post' },
  'sold-out': { reference: 'fastify-post', target: 1.2 },
  db: { reference: 'fastify-post' },
  'fastify-get': { reference: 'node-get' },
  catalog: { reference: 'fastify-get' },
};

function renderReport(input: {
  runs: Measured[];
  wrkRuns: WrkMeasured[];
  checks: Check[];
  acceptedUs: number | undefined;
  floorUs: number | undefined;
  setupSeconds: number;
  totalSeconds: number;
  seckill: Child;
  machineLoadAtStart: number[];
}): string {
  const { runs, checks } = input;
  const byKey = new Map(runs.map((m) => [m.key, m]));
  const cores = (value: number | undefined) => (value === undefined ? 'n/a' : fixed(value, 2));
  const ratioCell = (m: Measured): [string, string] => {
    const ref = REFERENCES[m.key];
    const base = ref && byKey.get(ref.reference);
    if (!ref || !base) return ['1.00', '-'];
    const ratio = m.run.rps / base.run.rps;
    const target = ref.target === undefined ? '-' : `≥ ${fixed(ref.target, 2)} ${ratio >= ref.target ? 'met' : 'MISSED'}`;
    return [`${fixed(ratio, 2)} × ${base.label.replace(/ (POST|GET)$/, '')}`, target];
  };
  const flagged = (m: Measured) => notTheServer(m.cpu);
  const rows = runs.map((m) => {
    const [ratio, target] = ratioCell(m);
    const us = m.cpu.serverSeconds !== undefined && m.run.responses > 0 ? (m.cpu.serverSeconds / m.run.responses) * 1e6 : NaN;
    const flag = flagged(m);
    return [
      m.label,
      thousands(m.run.rps),
      fixed(m.run.p50, 2),
      fixed(m.run.p99, 2),
      ratio,
      target,
      cores(m.cpu.server),
      fixed(us, 0),
      cores(m.cpu.generator),
      cores(m.cpu.others),
      fixed(m.loadAverage, 2),
      flag ? `not a measurement of the server (${flag})` : '',
    ];
  });
  const results = table(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'target', 'server cores', 'server µs/answer', 'generator cores', 'other cores', 'load avg', 'note'],
    rows,
    [false, true, true, true, false, false, true, true, true, true, true, false],
  );
  const detail = table(
    ['scenario', 'responses', 'status codes', 'errors/timeouts', 'Redis cores', 'MariaDB cores', 'warm-up req/s'],
    runs.map((m) => [
      m.label,
      thousands(m.run.responses),
      counts(m.run.statusCounts),
      `${m.run.errors}/${m.run.timeouts}`,
      cores(m.cpu.redis),
      cores(m.cpu.mariadb),
      thousands(m.warmup.rps),
    ]),
    [false, true, false, true, true, true, true],
  );
  const wrkTable =
    input.wrkRuns.length === 0
      ? 'Not run (BENCH_WRK=1 runs it when wrk is installed).'
      : table(
          ['scenario (wrk -t1)', 'req/s', 'ratio', 'non-2xx', 'server cores', 'server µs/answer', 'wrk cores', 'other cores', 'load avg', 'note'],
          input.wrkRuns.map((w) => {
            const flag = notTheServer({ generator: w.generator, others: w.others });
            const fastify = input.wrkRuns.find((other) => other.label === 'bare Fastify POST');
            const node = input.wrkRuns.find((other) => other.label === 'raw node:http POST');
            const base = w.label === 'bare Fastify POST' ? node : w.label.startsWith('purchase') ? fastify : undefined;
            return [
              w.label,
              thousands(w.rps),
              base ? `${fixed(w.rps / base.rps, 2)} × ${base.label.replace(/ POST$/, '')}` : '1.00',
              thousands(w.non2xx),
              cores(w.server),
              w.server === undefined ? 'n/a' : fixed((w.server / w.rps) * 1e6, 0),
              cores(w.generator),
              cores(w.others),
              fixed(w.loadAverage, 2),
              flag ? `not a measurement of the server (${flag})` : '',
            ];
          }),
          [false, true, false, true, true, true, true, true, true, false],
        );
  const cpu = cpus();
  const [l1, l5, l15] = input.machineLoadAtStart;
  return [
    `# Seckill benchmark, ${new Date().toISOString()}`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}; ` +
      `load average at the start ${fixed(l1, 2)} / ${fixed(l5, 2)} / ${fixed(l15, 2)} (1 / 5 / 15 min). Load: autocannon 8 in ` +
      `the bench process, ${CONNECTIONS} connections, pipelining 1, ${DURATION_SECONDS} s per scenario after a ` +
      `${WARMUP_SECONDS} s warm-up; every server in its own process (one seckill instance, LOG_LEVEL=warn, 127.0.0.1 ` +
      'allowlisted from per-IP limits). Every POST is `/api/activities/:id/purchase` with its own access token and ' +
      'purchase token, pre-built before the run, the same for every POST scenario; every GET is `/api/activities/:id`, ' +
      'answered with the same bytes by the baselines.',
    '',
    '## Results',
    '',
    results,
    '',
    `CPU per accepted purchase in the seckill process (its CPU time over the in-stock run / its 202 answers): ` +
      `**${input.acceptedUs === undefined ? 'n/a' : `${fixed(input.acceptedUs, 0)} µs`}** (target ≤ 100 µs). ` +
      `The purchase floor, the same two token checks and Redis call on raw node:http with nothing else (floor-server.ts): ` +
      `**${input.floorUs === undefined ? 'n/a' : `${fixed(input.floorUs, 0)} µs`}** per accepted purchase` +
      (input.acceptedUs !== undefined && input.floorUs !== undefined
        ? `; the service spends ${fixed(input.acceptedUs - input.floorUs, 0)} µs above it (Nest and Fastify, the limits, the metrics, the journal).`
        : '.'),
    '',
    'Server cores: CPU time of the server process over the run / wall time; µs/answer: its CPU time / responses. ' +
      'Generator cores: this process (autocannon). Other cores: the machine (/proc/stat) less the server, the ' +
      `generator, Redis and MariaDB. A figure is marked "not a measurement of the server" when the generator or the ` +
      `other processes held ≥ ${GENERATOR_LIMIT} core: the server was then not the bottleneck (or not alone), and its ` +
      'req/s (and every ratio taken of it) says little about the server. Ratios: bare Fastify POST of raw node:http ' +
      'POST; purchase, its floor and the straight-to-database seckill of bare Fastify POST; bare Fastify GET of raw node:http GET; ' +
      'the catalog read of bare Fastify GET.',
    '',
    '## Invariants',
    '',
    ...checks.map((check) => `- ${check.ok ? 'OK' : 'FAILED'}: ${check.name}: ${check.detail}`),
    '',
    '## Details',
    '',
    detail,
    '',
    'Redis and MariaDB CPU are for the whole servers, which other clients (other test suites) may share.',
    '',
    '## Cross-check with wrk',
    '',
    wrkTable,
    '',
    '## Run',
    '',
    `- Setup (databases, services, activities) ${fixed(input.setupSeconds, 1)} s; whole bench ${fixed(input.totalSeconds, 1)} s.`,
    `- The seckill service printed ${input.seckill.lines} log line(s) at level warn or above.`,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
