import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { ActivityRecord, ActivityRepository } from '@seckill/activities';
import { OrderCreateJob, orderCreateJobs, QUEUES } from '@seckill/contracts';
import { OrderRepository } from '@seckill/order-store';
import { AppConfig, bullConnection, createPrismaClient, PrismaClient, RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import {
  configToEnv,
  createTestConfig,
  createTestDatabases,
  CuttableProxy,
  dropTestResources,
  freePort,
  sleep,
  startTestApp,
  TEST_MYSQL,
  TestApp,
  waitFor,
} from '@seckill/testing';
import { AppModule } from './app.module';

// Faults during the drain: the order process killed with SIGKILL, and MariaDB unreachable for 20 s.
// Both use plain clients in this process (no order workers here) beside the order service under test.


/** What a test needs to make reservations and look at orders without running order workers itself. */
class Harness {
  readonly redis: Redis;
  readonly stock: StockService;
  readonly queue: Queue<OrderCreateJob>;
  readonly core: PrismaClient;
  readonly shards: PrismaClient[];
  readonly orders: OrderRepository;
  readonly activities: ActivityRepository;

  constructor(readonly config: AppConfig) {
    this.redis = new Redis(config.REDIS_URL);
    this.stock = new StockService(this.redis, new RedisKeys(config.REDIS_KEY_PREFIX));
    this.queue = new Queue(QUEUES.orderCreate, { connection: bullConnection(config), prefix: new RedisKeys(config.REDIS_KEY_PREFIX).bullPrefix });
    this.core = createPrismaClient(config.DATABASE_URL, 2);
    this.shards = config.ORDER_SHARD_URLS.map((url) => createPrismaClient(url, 2));
    this.orders = new OrderRepository(config, this.shards);
    this.activities = new ActivityRepository(this.core);
  }

  async activity(stock: number): Promise<ActivityRecord> {
    const now = Date.now();
    const record = await this.activities.create({
      title: 'fault drill',
      description: '',
      priceCents: 500,
      originalPriceCents: null,
      stock,
      stockShards: 1,
      startAt: new Date(now - 1000),
      endAt: new Date(now + 3600_000),
      paymentTimeoutSeconds: 900,
    });
    await this.stock.prewarm(record);
    return record;
  }

  /** Reserves one unit per user and hands them to the queue, as purchase + relay do, in jobs of `batchSize`. */
  async reserveAndEnqueue(activity: ActivityRecord, users: number[], batchSize?: number): Promise<void> {
    const refs = [];
    for (const user of users) {
      const outcome = await this.stock.reserve(activity.id, 1, { userId: String(user), reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
      assert.equal(outcome.code, 'OK');
      if (outcome.code === 'OK') refs.push({ reservationId: outcome.reservationId, userId: String(user), reservedAt: Date.now() });
    }
    await this.queue.addBulk(orderCreateJobs(activity.id, refs, undefined, batchSize));
  }

  async created(activity: ActivityRecord, users: number[]): Promise<number> {
    let count = 0;
    for (const user of users) if ((await this.stock.result(activity.id, String(user))).status === 'CREATED') count++;
    return count;
  }

  async close(): Promise<void> {
    await this.queue.close();
    await Promise.allSettled([this.core, ...this.shards].map((client) => client.$disconnect()));
    this.redis.disconnect();
  }
}

describe('order drain under faults', () => {
  let config: AppConfig;
  let harness: Harness;
  let child: ChildProcess | undefined;

  before(async () => {
    config = createTestConfig({
      ORDER_PORT: String(await freePort()),
      ORDER_JOB_LOCK_MS: '2000',
      ORDER_DRAIN_RATE_PER_SECOND: '250',
      ORDER_SWEEP_INTERVAL_MS: '500',
      ORDER_SWEEP_AFTER_MS: '5000',
    });
    await createTestDatabases(config);
    harness = new Harness(config);
  });

  after(async () => {
    child?.kill('SIGKILL');
    await harness?.close();
    await dropTestResources(config);
  });

  async function startOrderProcess(): Promise<ChildProcess> {
    const process_ = spawn(process.execPath, [join(__dirname, 'main.js')], {
      env: { ...process.env, ...configToEnv(config) },
      stdio: 'ignore',
    });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${config.ORDER_PORT}/health/ready`).catch(() => undefined))?.ok === true,
      30_000,
      'the order service',
    );
    return process_;
  }

  it('loses and duplicates nothing when the order process is killed (SIGKILL) mid-drain and restarted', async () => {
    const activity = await harness.activity(1000);
    const users = Array.from({ length: 1000 }, (_, i) => 20_000 + i);
    child = await startOrderProcess();
    // Jobs of 50 drained at 250 orders/s: the drain takes about 4 s, and the kill lands in the middle of it.
    await harness.reserveAndEnqueue(activity, users, 50);
    await waitFor(async () => (await harness.orders.countByActivity(activity.id)).pendingPayment >= 150, 30_000, 'the drain to start');
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    const atKill = (await harness.orders.countByActivity(activity.id)).pendingPayment;
    assert.ok(atKill < 1000, `killed mid-drain (${atKill} of 1000 done)`);

    child = await startOrderProcess();
    await waitFor(async () => (await harness.created(activity, users)) === 1000, 90_000, 'all 1,000 orders after the restart');
    assert.deepEqual(await harness.orders.countByActivity(activity.id), { pendingPayment: 1000, paid: 0, cancelled: 0 });
    for (const user of users.filter((u) => u % 97 === 0)) {
      const mine = await harness.orders.listByUser(BigInt(user), 10);
      assert.equal(mine.filter((o) => o.activity_id === activity.id).length, 1);
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
    child = undefined;
  });
});

describe('order drain while MariaDB is unreachable', () => {
  let direct: AppConfig;
  let proxied: AppConfig;
  let proxy: CuttableProxy;
  let app: TestApp;
  let harness: Harness;

  before(async () => {
    direct = createTestConfig();
    await createTestDatabases(direct);
    proxy = new CuttableProxy(Number(new URL(TEST_MYSQL).port || 3306));
    await proxy.start();
    const via = (url: string) => url.replace(TEST_MYSQL, TEST_MYSQL.replace(/:\d+$/, '') + `:${proxy.port}`);
    proxied = Object.assign(new AppConfig(), direct, {
      DATABASE_URL: via(direct.DATABASE_URL),
      ORDER_SHARD_URLS: direct.ORDER_SHARD_URLS.map(via),
    });
    app = await startTestApp('order', AppModule.register(proxied), proxied);
    harness = new Harness(direct);
  });

  after(async () => {
    await app?.close();
    await proxy?.cut().catch(() => undefined);
    await harness?.close();
    await dropTestResources(direct);
  });

  it('keeps the jobs waiting and retrying through a 20 s outage, then turns every reservation into an order', async () => {
    const activity = await harness.activity(200);
    const users = Array.from({ length: 200 }, (_, i) => 40_000 + i);
    await proxy.cut();
    await harness.reserveAndEnqueue(activity, users);
    await sleep(2000);
    const ready = await fetch(`${app.url}/health/ready`);
    assert.equal(ready.status, 503, 'not ready while MariaDB is unreachable');
    await sleep(18_000);
    assert.equal(await harness.created(activity, users), 0, 'nothing created during the outage');
    assert.equal((await harness.queue.getJobCounts('failed')).failed, 0, 'no job given up during the outage');

    await proxy.start();
    await waitFor(async () => (await harness.created(activity, users)) === 200, 90_000, 'all 200 orders after the outage');
    assert.deepEqual(await harness.orders.countByActivity(activity.id), { pendingPayment: 200, paid: 0, cancelled: 0 });
    assert.equal((await fetch(`${app.url}/health/ready`)).status, 200);
  });
});
