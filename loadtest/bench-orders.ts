import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { ActivityRepository } from '@seckill/activities';
import { ORDER_BATCH_MAX, OrderCreateJob, orderCreateJobs, OrderTimeoutJob, QUEUES } from '@seckill/contracts';
import { OrderIdGenerator, OrderRepository, ShardRouter } from '@seckill/order-store';
import { AppConfig, bullConnection, createPrismaClient, Prisma, PrismaClient, RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { configToEnv, createTestConfig, createTestDatabases, dropTestResources } from '@seckill/testing';
import { intFromEnv } from './lib/env';
import { fixed, table, thousands } from './lib/markdown';
import { Child, cpuSecondsOf, freePort, sleep, startNode, stopChild, waitReady } from './lib/processes';

/**
 * `npm run bench:orders`: how fast the order worker drains reservations into 2 × 8 shards, beside the raw rate of
 * batched INSERTs of the same rows into the same tables, measured in one run on this machine.
 *   raw:   multi-row INSERTs (500 rows each), every table written in parallel, through the same Prisma clients;
 *   drain: the order service (child process, its own event loop) consuming order-create jobs queued beforehand, as
 *          the relay makes them (batches of up to 1,000 reservations): per batch it reads the reservations, inserts the
 *          orders idempotently, schedules their timeout jobs and records the results in Redis — everything a real
 *          order costs. Rate = orders / (last created_at − first created_at).
 *   timeouts: then every order's payment window runs out at once (expires_at moved into the past, the delayed timeout
 *          jobs promoted) and the same service cancels them all as it would at their expiry: conditional UPDATEs per
 *          table, one release script per activity and pass. Rate = orders / (last cancelled_at − first cancelled_at);
 *          also the wall-clock time from the promotion until every unit is back in Redis (polled).
 * Targets: drain ≥ 0.5 × raw; timeouts ≥ 0.5 × drain. The load average is printed with the figures (shared machine).
 */

const ORDERS = intFromEnv('BENCH_ORDERS', 20000);
/** Extra Node flags for the order service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes. */
const ORDER_NODE_ARGS = (process.env.BENCH_ORDER_NODE_ARGS ?? '').split(' ').filter((arg) => arg.length > 0);
const BATCH = 500;
const TARGET = 0.5;
/** Cancellation drain against the creation drain of the same run. */
const TIMEOUT_TARGET = 0.5;


const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface Row {
  reservationId: string;
  userId: bigint;
}

async function truncateShards(router: ShardRouter, shards: PrismaClient[]): Promise<void> {
  for (const at of router.all()) await shards[at.database].$executeRaw`TRUNCATE TABLE ${Prisma.raw(at.tableName)}`;
}

const loads = () => loadavg().map((n) => n.toFixed(2)).join(' / ');

async function countOrders(
  router: ShardRouter,
  shards: PrismaClient[],
  column: 'created_at' | 'cancelled_at' = 'created_at',
): Promise<{ count: number; first: number; last: number; tables: number }> {
  let count = 0;
  let first = Infinity;
  let last = -Infinity;
  let tables = 0;
  // created_at: every order; cancelled_at: the cancelled ones (the column is NULL until then).
  const at_ = Prisma.raw(column);
  for (const at of router.all()) {
    const [row] = await shards[at.database].$queryRaw<Array<{ n: bigint; first: Date | null; last: Date | null }>>`
      SELECT COUNT(${at_}) AS n, MIN(${at_}) AS first, MAX(${at_}) AS last FROM ${Prisma.raw(at.tableName)}`;
    const n = Number(row.n);
    count += n;
    if (n > 0) tables++;
    if (row.first) first = Math.min(first, row.first.getTime());
    if (row.last) last = Math.max(last, row.last.getTime());
  }
  return { count, first, last, tables };
}

/** The raw baseline: the same rows, multi-row INSERTs of BATCH rows, all tables in parallel. */
async function rawInsert(rows: Row[], activityId: number, router: ShardRouter, shards: PrismaClient[]): Promise<number> {
  const ids = new OrderIdGenerator(30);
  const byTable = new Map<string, { database: number; table: string; values: Prisma.Sql[] }>();
  const now = new Date();
  const expires = new Date(now.getTime() + 900_000);
  for (const row of rows) {
    const at = router.forUser(row.userId);
    const key = `${at.database}/${at.tableName}`;
    const entry = byTable.get(key) ?? { database: at.database, table: at.tableName, values: [] };
    entry.values.push(
      Prisma.sql`(${ids.next(row.userId)}, ${row.reservationId}, ${activityId}, ${row.userId}, 100, 'PENDING_PAYMENT', 1, ${now}, ${expires})`,
    );
    byTable.set(key, entry);
  }
  const started = process.hrtime.bigint();
  await Promise.all(
    [...byTable.values()].map(async ({ database, table: name, values }) => {
      for (let i = 0; i < values.length; i += BATCH) {
        await shards[database].$executeRaw`
          INSERT INTO ${Prisma.raw(name)} (id, reservation_id, activity_id, user_id, price_cents, status, live, created_at, expires_at)
          VALUES ${Prisma.join(values.slice(i, i + BATCH))}`;
      }
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const config: AppConfig = createTestConfig({
    LOG_LEVEL: 'warn',
    ORDER_PORT: String(await freePort()),
    ORDER_DRAIN_RATE_PER_SECOND: '1000000',
    ORDER_SWEEP_AFTER_MS: '600000',
    ...(process.env.BENCH_ORDER_CONCURRENCY ? { ORDER_WORKER_CONCURRENCY: process.env.BENCH_ORDER_CONCURRENCY } : {}),
    ...(process.env.BENCH_TIMEOUT_BATCH ? { ORDER_TIMEOUT_BATCH: process.env.BENCH_TIMEOUT_BATCH } : {}),
  });
  let service: Child | undefined;
  const redis = new Redis(config.REDIS_URL);
  const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
  const queue = new Queue<OrderCreateJob>(QUEUES.orderCreate, { connection: bullConnection(config), prefix: keys.bullPrefix });
  const timeoutQueue = new Queue<OrderTimeoutJob>(QUEUES.orderTimeout, { connection: bullConnection(config), prefix: keys.bullPrefix });
  const core = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const shards = config.ORDER_SHARD_URLS.map((url) => createPrismaClient(url, config.DATABASE_POOL_SIZE));
  const router = new OrderRepository(config, shards).router;
  const started = Date.now();
  const loadAtStart = loads();
  try {
    await createTestDatabases(config);
    const stock = new StockService(redis, keys);
    const now = Date.now();
    const activity = await new ActivityRepository(core).create({
      title: 'bench orders',
      description: '',
      priceCents: 100,
      originalPriceCents: null,
      stock: ORDERS,
      stockShards: 1,
      startAt: new Date(now - 1000),
      endAt: new Date(now + 3600_000),
      paymentTimeoutSeconds: 900,
    });
    await stock.prewarm(activity);
    log(`reserving ${ORDERS} units`);
    const rows: Row[] = [];
    for (let user = 1; user <= ORDERS; user++) {
      const outcome = await stock.reserve(activity.id, 1, { userId: String(user), reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
      if (outcome.code !== 'OK') throw new Error(`reservation ${user} refused: ${outcome.code}`);
      rows.push({ reservationId: outcome.reservationId, userId: BigInt(user) });
    }

    log('raw batched INSERTs');
    const rawSeconds = await rawInsert(rows, activity.id, router, shards);
    const raw = await countOrders(router, shards);
    if (raw.count !== ORDERS) throw new Error(`raw inserted ${raw.count} of ${ORDERS}`);
    await truncateShards(router, shards);

    log('queueing the order-create jobs');
    await queue.addBulk(
      orderCreateJobs(activity.id, rows.map((row) => ({ reservationId: row.reservationId, userId: String(row.userId), reservedAt: now }))),
    );
    log('draining with the order service');
    service = startNode('order', resolve(__dirname, '../apps/order/src/main.js'), { ...process.env, ...configToEnv(config) }, ORDER_NODE_ARGS);
    await waitReady(service, `http://127.0.0.1:${config.ORDER_PORT}/health/ready`, 60_000);
    const deadline = Date.now() + 300_000;
    let drained = await countOrders(router, shards);
    while (drained.count < ORDERS) {
      if (Date.now() > deadline) throw new Error(`drain stalled at ${drained.count} of ${ORDERS}`);
      await sleep(250);
      drained = await countOrders(router, shards);
    }
    const drainSeconds = (drained.last - drained.first) / 1000;
    const loadAfterDrain = loads();

    // Every payment window runs out at once: the orders' expiry moves into the past and their delayed timeout jobs
    // (scheduled by the drain, due in 15 minutes) become due now, as they would at the end of the window.
    log('expiring every order: timeouts');
    await waitForDelayed(timeoutQueue, ORDERS);
    const past = new Date(Date.now() - 1000);
    for (const at of router.all()) {
      await shards[at.database].$executeRaw`UPDATE ${Prisma.raw(at.tableName)} SET expires_at = ${past}`;
    }
    const cpuBefore = cpuSecondsOf(service.process.pid);
    const promoted = Date.now();
    await timeoutQueue.promoteJobs({ count: 1000 });
    const timeoutDeadline = Date.now() + 300_000;
    while ((await stock.remaining(activity.id, 1)) !== ORDERS) {
      if (Date.now() > timeoutDeadline) throw new Error(`timeouts stalled: ${await stock.remaining(activity.id, 1)} of ${ORDERS} units back`);
      await sleep(50);
    }
    const timeoutWallSeconds = (Date.now() - promoted) / 1000;
    const cpuAfter = cpuSecondsOf(service.process.pid);
    const cancelled = await countOrders(router, shards, 'cancelled_at');
    const timeoutSeconds = Math.max(cancelled.last - cancelled.first, 1) / 1000;
    const loadAfterTimeouts = loads();
    const holders = await stock.holders(activity.id);
    const timeoutFailed = (await timeoutQueue.getJobCounts('failed')).failed;

    const rawRate = ORDERS / rawSeconds;
    const drainRate = ORDERS / drainSeconds;
    const ratio = drainRate / rawRate;
    const timeoutRate = ORDERS / timeoutSeconds;
    const timeoutRatio = timeoutRate / drainRate;
    const timeoutCpu = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
    const failed = (await queue.getJobCounts('failed')).failed;

    const report = [
      `# Order drain benchmark, ${new Date().toISOString()}`,
      '',
      `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}. ${thousands(ORDERS)} orders into ` +
        `${config.ORDER_SHARD_URLS.length} databases × ${config.ORDER_SHARD_TABLES} tables on the local MariaDB; ` +
        `order service with ORDER_WORKER_CONCURRENCY=${config.ORDER_WORKER_CONCURRENCY}, ORDER_TIMEOUT_BATCH=${config.ORDER_TIMEOUT_BATCH}, ` +
        `DATABASE_POOL_SIZE=${config.DATABASE_POOL_SIZE}.`,
      `Load average (1 / 5 / 15 min; a shared machine): at the start ${loadAtStart}, after the drain ${loadAfterDrain}, ` +
        `after the timeouts ${loadAfterTimeouts}.`,
      '',
      table(
        ['path', 'orders', 'seconds', 'orders/s', '× raw', 'target'],
        [
          ['raw batched INSERT (500 rows per statement, all tables in parallel)', thousands(ORDERS), fixed(rawSeconds, 2), thousands(rawRate), '1.00', '-'],
          [`order worker drain (BullMQ batches of up to ${thousands(ORDER_BATCH_MAX)} → Prisma)`, thousands(ORDERS), fixed(drainSeconds, 2), thousands(drainRate), fixed(ratio, 2),
            `≥ ${TARGET.toFixed(2)} ${ratio >= TARGET ? 'met' : 'MISSED'}`],
        ],
        [false, true, true, true, true, false],
      ),
      '',
      table(
        ['path', 'orders', 'seconds', 'orders/s', '× drain', 'target'],
        [
          ['order worker drain (creation, as above)', thousands(ORDERS), fixed(drainSeconds, 2), thousands(drainRate), '1.00', '-'],
          [`unpaid-order timeouts (batches of ≤ ${thousands(config.ORDER_TIMEOUT_BATCH)} per activity: UPDATE per table + one release script)`,
            thousands(cancelled.count), fixed(timeoutSeconds, 2), thousands(timeoutRate), fixed(timeoutRatio, 2),
            `≥ ${TIMEOUT_TARGET.toFixed(2)} ${timeoutRatio >= TIMEOUT_TARGET ? 'met' : 'MISSED'}`],
          ['timeouts, wall clock from the jobs due to every unit back in Redis', thousands(ORDERS), fixed(timeoutWallSeconds, 2),
            thousands(ORDERS / timeoutWallSeconds), fixed(ORDERS / timeoutWallSeconds / drainRate, 2), '-'],
        ],
        [false, true, true, true, true, false],
      ),
      '',
      `Checks: ${drained.count} orders in ${drained.tables} of ${router.all().length} tables (raw: ${raw.tables}); failed jobs: ${failed}; ` +
        `${cancelled.count} cancelled, ${await stock.remaining(activity.id, 1)} of ${ORDERS} units back, ${holders} holder(s) left, ` +
        `failed timeout jobs: ${timeoutFailed}` +
        (timeoutCpu !== undefined ? `; order service CPU during the timeouts ${fixed(timeoutCpu, 2)} s.` : '.'),
      `Whole bench ${fixed((Date.now() - started) / 1000, 1)} s.`,
      '',
    ].join('\n');
    process.stdout.write(`${report}\n`);
    const dir = resolve(__dirname, '../../loadtest/reports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `orders-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.md`), report);
    if (drained.tables !== router.all().length || failed > 0) process.exitCode = 1;
    if (cancelled.count !== ORDERS || holders !== 0 || timeoutFailed > 0) process.exitCode = 1;
  } finally {
    if (service) await stopChild(service);
    await queue.close();
    await timeoutQueue.close();
    await Promise.allSettled([core, ...shards].map((client) => client.$disconnect()));
    redis.disconnect();
    await dropTestResources(config);
  }
}

/** The drain schedules the timeout jobs right after the orders; waits until they are all there (delayed). */
async function waitForDelayed(timeoutQueue: Queue<OrderTimeoutJob>, orders: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let scheduled = 0;
    for (let start = 0; ; start += 1000) {
      const jobs = await timeoutQueue.getDelayed(start, start + 999);
      scheduled += jobs.reduce((sum, job) => sum + job.data.orderIds.length, 0);
      if (jobs.length < 1000) break;
    }
    if (scheduled >= orders) return;
    if (Date.now() > deadline) throw new Error(`only ${scheduled} of ${orders} orders have a timeout job`);
    await sleep(250);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:orders failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
