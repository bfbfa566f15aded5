import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { ActivityCache, ActivityRecord, ActivityRepository } from '@seckill/activities';
import { OrderCreateJob, orderCreateJobs, QUEUES } from '@seckill/contracts';
import { OrderRepository } from '@seckill/order-store';
import { AppConfig, CORE_DB, PrismaClient, REDIS, RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { createTestConfig, createTestDatabases, dropTestResources, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { AppModule } from './app.module';

// Hot state of an activity that is over leaves Redis: once its sale has ended, its payment window has passed and
// every reservation has its final order, what reconciliation needs is written to MySQL and the activity's keys go.

let config: AppConfig;
let app: TestApp;
let stock: StockService;
let redis: Redis;
let queue: Queue<OrderCreateJob>;

async function activityKeys(id: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${config.REDIS_KEY_PREFIX}{a:${id}}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.map((key) => key.slice(`${config.REDIS_KEY_PREFIX}{a:${id}}:`.length)).sort();
}

before(async () => {
  config = createTestConfig({
    ACTIVITY_RETIRE_INTERVAL_MS: '300',
    ACTIVITY_RETIRE_AFTER_MS: '0',
    ORDER_SWEEP_INTERVAL_MS: '300',
    ORDER_SWEEP_AFTER_MS: '1000',
  });
  await createTestDatabases(config);
  app = await startTestApp('order', AppModule.register(config), config);
  stock = app.app.get(StockService, { strict: false });
  redis = app.app.get<Redis>(REDIS, { strict: false });
  queue = app.app.get(getQueueToken(QUEUES.orderCreate), { strict: false });
});

after(async () => {
  await app?.close();
  await dropTestResources(config);
});

describe('retiring an activity that is over', () => {
  it('keeps the final stock in MySQL and removes the hot keys, once every order is final', async () => {
    const now = Date.now();
    const record: ActivityRecord = await app.app.get(ActivityRepository, { strict: false }).create({
      title: 'short sale',
      description: '',
      priceCents: 100,
      originalPriceCents: null,
      stock: 10,
      stockShards: 2,
      startAt: new Date(now - 60_000),
      endAt: new Date(now + 2000),
      paymentTimeoutSeconds: 1,
    });
    await app.app.get(ActivityCache, { strict: false }).changed(record.id);
    await stock.prewarm(record);

    const refs = [];
    for (const user of [1, 2, 3]) {
      const outcome = await stock.reserve(record.id, 2, { userId: String(user), reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
      assert.equal(outcome.code, 'OK');
      if (outcome.code === 'OK') refs.push({ reservationId: outcome.reservationId, userId: String(user), reservedAt: Date.now() });
    }
    // Handed to the queue and taken off the stream, as the relay (a seckill process, not run here) does.
    await queue.addBulk(orderCreateJobs(record.id, refs));
    await redis.del(stock.keysFor(record.id, 2).stream);
    await waitFor(async () => (await stock.result(record.id, '3')).status === 'CREATED', 20_000, 'the orders');
    // One shopper pays; the two others let their order time out (their units come back).
    const paid = await stock.result(record.id, '1');
    const orders = app.app.get(OrderRepository, { strict: false });
    assert.equal(await orders.transition(BigInt(String(paid.orderId)), 'PAID', new Date()), true);
    assert.deepEqual(await activityKeys(record.id).then((keys) => keys.filter((key) => key === 'meta')), ['meta']);

    await waitFor(async () => !(await stock.liveActivities()).includes(record.id), 30_000, 'the activity to be retired');

    // Only the catalog's own entries may stay (they expire, or are one small key per activity), and the dashboard's
    // three order counters, now expiring.
    const left = await activityKeys(record.id);
    assert.deepEqual(left.filter((key) => !key.startsWith('catalog') && key !== 'stats'), [], `hot keys left: ${left.join(', ')}`);
    const statsTtl = await redis.pttl(app.app.get(RedisKeys, { strict: false }).activityStats(record.id));
    assert.ok(left.includes('stats') ? statsTtl > 0 : statsTtl === -2, `the stats hash expires (pttl ${statsTtl})`);
    const db = app.app.get<PrismaClient>(CORE_DB, { strict: false });
    const row = await db.activity.findUniqueOrThrow({ where: { id: record.id } });
    assert.ok(row.retiredAt, 'the retirement is recorded');
    assert.equal(row.finalRemaining, 9);
    assert.equal(row.finalReserved, 1);
    assert.deepEqual(await orders.countByActivity(record.id), { pendingPayment: 0, paid: 1, cancelled: 2 });
    // What shoppers and reconciliation read now comes from MySQL.
    const retired = await app.app.get(ActivityRepository, { strict: false }).findById(record.id);
    assert.equal(retired && (await stock.available(retired)), 9);
  });

  it('leaves an activity whose reservations are not all final in Redis', async () => {
    const now = Date.now();
    const record = await app.app.get(ActivityRepository, { strict: false }).create({
      title: 'unfinished',
      description: '',
      priceCents: 100,
      originalPriceCents: null,
      stock: 5,
      stockShards: 1,
      startAt: new Date(now - 60_000),
      endAt: new Date(now + 1000),
      paymentTimeoutSeconds: 1,
    });
    await stock.prewarm(record);
    const outcome = await stock.reserve(record.id, 1, { userId: '9', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
    assert.equal(outcome.code, 'OK');
    // The reservation's order could not be created for good (its job failed): an operator may still retry it.
    if (outcome.code === 'OK') await stock.markFailed(record.id, outcome.reservationId);
    await redis.del(stock.keysFor(record.id, 1).stream);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.ok((await stock.liveActivities()).includes(record.id), 'still live');
    assert.ok((await activityKeys(record.id)).includes('reservations'));
  });
});
