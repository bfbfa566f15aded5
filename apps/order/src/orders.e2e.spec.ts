import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ActivityCache, ActivityRecord, ActivityRepository } from '@seckill/activities';
import { OrderCreateJob, orderCreateJobs, QUEUES } from '@seckill/contracts';
import { OrderRepository, OrderView, OrderWriter } from '@seckill/order-store';
import { AppConfig, ORDER_SHARD_DBS, Prisma, PrismaClient } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import {
  call,
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  mintToken,
  sleep,
  startTestApp,
  TestApp,
  waitFor,
} from '@seckill/testing';
import { AppModule } from './app.module';

// The order service against real MariaDB (2 databases × 8 tables), Redis and BullMQ.

let config: AppConfig;
let app: TestApp;
let stock: StockService;
let orders: OrderRepository;
let queue: Queue<OrderCreateJob>;


async function createActivity(fields: { stock: number; paymentTimeoutSeconds?: number }): Promise<ActivityRecord> {
  const now = Date.now();
  const record = await app.app.get(ActivityRepository, { strict: false }).create({
    title: 'orders test',
    description: '',
    priceCents: 1234,
    originalPriceCents: null,
    stock: fields.stock,
    stockShards: 1,
    startAt: new Date(now - 1000),
    endAt: new Date(now + 3600_000),
    paymentTimeoutSeconds: fields.paymentTimeoutSeconds ?? 900,
  });
  await app.app.get(ActivityCache, { strict: false }).changed(record.id);
  await stock.prewarm(record);
  return record;
}

/** Reserves a unit for each user as the purchase endpoint does; returns the reservation ids. */
async function reserve(activity: ActivityRecord, users: number[]): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  for (const user of users) {
    const outcome = await stock.reserve(activity.id, 1, {
      userId: String(user),
      reservationId: randomUUID(),
      now: Date.now(),
      activityRateLimit: 0,
    });
    assert.equal(outcome.code, 'OK');
    if (outcome.code === 'OK') ids.set(user, outcome.reservationId);
  }
  return ids;
}

/** Hands reservations to the queue as the relay does. */
async function enqueue(activity: ActivityRecord, reservations: Map<number, string>, jobIdSuffix = ''): Promise<void> {
  const refs = [...reservations].map(([user, reservationId]) => ({ reservationId, userId: String(user), reservedAt: Date.now() }));
  await queue.addBulk(orderCreateJobs(activity.id, refs, refs.map((ref) => ref.reservationId + jobIdSuffix)));
}

async function allCreated(activity: ActivityRecord, reservations: Map<number, string>): Promise<boolean> {
  for (const [user] of reservations) {
    if ((await stock.result(activity.id, String(user))).status !== 'CREATED') return false;
  }
  return true;
}

before(async () => {
  config = createTestConfig({ ORDER_SWEEP_INTERVAL_MS: '300', ORDER_SWEEP_AFTER_MS: '1000' });
  await createTestDatabases(config);
  app = await startTestApp('order', AppModule.register(config), config);
  stock = app.app.get(StockService, { strict: false });
  orders = app.app.get(OrderRepository, { strict: false });
  queue = app.app.get(getQueueToken(QUEUES.orderCreate), { strict: false });
});

after(async () => {
  await app?.close();
  await dropTestResources(config);
});

describe('order drain', () => {
  it('drains 1,000 reservations into all 16 tables of 2 × 8 shards, each findable by id', async () => {
    const activity = await createActivity({ stock: 1000 });
    const users = Array.from({ length: 1000 }, (_, i) => 1 + i);
    const reservations = await reserve(activity, users);
    await enqueue(activity, reservations);
    await waitFor(() => allCreated(activity, reservations), 60_000, '1,000 orders');

    assert.deepEqual(await orders.countByActivity(activity.id), { pendingPayment: 1000, paid: 0, cancelled: 0 });
    const shards = app.app.get<PrismaClient[]>(ORDER_SHARD_DBS, { strict: false });
    for (const at of orders.router.all()) {
      const [{ n }] = await shards[at.database].$queryRaw<Array<{ n: bigint }>>`
        SELECT COUNT(*) AS n FROM ${Prisma.raw(at.tableName)} WHERE activity_id = ${activity.id}`;
      assert.ok(Number(n) > 0, `table ${at.database}/${at.tableName} has orders`);
    }
    for (const user of users.filter((u) => u % 50 === 0)) {
      const result = await stock.result(activity.id, String(user));
      const order = await call<OrderView>(`${app.url}/api/orders/${result.orderId}`, { token: mintToken(config, user) });
      assert.equal(order.status, 200);
      assert.equal(order.body.userId, String(user));
      assert.equal(order.body.status, 'PENDING_PAYMENT');
      assert.equal(order.body.priceCents, 1234);
    }
    assert.equal(await stock.remaining(activity.id, 1), 0);
  });

  it('creates one order per reservation when jobs are duplicated and two workers race', async () => {
    const second = await startTestApp('order', AppModule.register(config), config);
    try {
      const activity = await createActivity({ stock: 200 });
      const reservations = await reserve(activity, Array.from({ length: 200 }, (_, i) => 5000 + i));
      await Promise.all([enqueue(activity, reservations), enqueue(activity, reservations, '-replay')]);
      await waitFor(() => allCreated(activity, reservations), 60_000, '200 orders');
      await waitFor(async () => (await queue.getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 30_000, 'queue drained');
      await sleep(500);
      assert.deepEqual(await orders.countByActivity(activity.id), { pendingPayment: 200, paid: 0, cancelled: 0 });
      for (const [user] of reservations) {
        const mine = await orders.listByUser(BigInt(user), 10);
        assert.equal(mine.filter((o) => o.activity_id === activity.id).length, 1);
      }
    } finally {
      await second.close();
    }
  });

  it('puts a job that can never succeed in the failed set with its reason, and the shopper sees FAILED', async () => {
    const activity = await createActivity({ stock: 3 });
    const reservations = await reserve(activity, [8801]);
    // A reservation the order service cannot honour: the user already holds a live order of this activity.
    await app.app.get(OrderWriter, { strict: false }).write({
      id: 1n + BigInt(Date.now()) * 1024n,
      reservationId: randomUUID(),
      activityId: activity.id,
      userId: 8801n,
      priceCents: 1,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
    });
    await enqueue(activity, reservations);
    await waitFor(async () => (await stock.result(activity.id, '8801')).status === 'FAILED', 20_000, 'the failure');
    const failed = await queue.getFailed();
    const job = failed.find((j) => j.data.reservations.some((r) => r.reservationId === reservations.get(8801)));
    assert.ok(job, 'in the failed set');
    assert.match(job.failedReason, /already holds another live order/);
  });

  it('repairs the reservations of one activity while a job of another backs off (the sweeper)', async () => {
    const stuck = await createActivity({ stock: 5 });
    const lost = await createActivity({ stock: 5 });
    // A batch of the first activity waits in backoff (a delayed job, as after a failed attempt)...
    const waiting = await reserve(stuck, [9501]);
    const [job] = await queue.addBulk(
      orderCreateJobs(stuck.id, [{ reservationId: String(waiting.get(9501)), userId: '9501', reservedAt: Date.now() }], ['1-0']).map(
        (bulk) => ({ ...bulk, opts: { ...bulk.opts, delay: 120_000 } }),
      ),
    );
    try {
      // ...while a reservation of the second never reached the queue.
      const reservations = await reserve(lost, [9502]);
      await waitFor(() => allCreated(lost, reservations), 20_000, 'the lost reservation to be repaired');
      // The backing-off batch still holds its reservation: it is not handed on a second time meanwhile.
      assert.equal(await queue.getJobState(String(waiting.get(9501))), 'unknown');
      assert.equal((await stock.result(stuck.id, '9501')).status, 'QUEUED');
    } finally {
      await job.remove();
    }
  });

  it('finishes reservations that never reached the queue (the sweeper)', async () => {
    const activity = await createActivity({ stock: 30 });
    // As if the seckill service died right after the reservation: nothing was enqueued.
    const reservations = await reserve(activity, Array.from({ length: 30 }, (_, i) => 9000 + i));
    await waitFor(() => allCreated(activity, reservations), 30_000, 'swept reservations');
    assert.deepEqual(await orders.countByActivity(activity.id), { pendingPayment: 30, paid: 0, cancelled: 0 });
  });
});

describe('order timeout and cancel', () => {
  it('cancels an unpaid order after its 2 s window and returns the unit, which another shopper buys', async () => {
    const activity = await createActivity({ stock: 1, paymentTimeoutSeconds: 2 });
    const first = await reserve(activity, [21]);
    await enqueue(activity, first);
    await waitFor(() => allCreated(activity, first), 20_000, 'the order');
    assert.equal(await stock.remaining(activity.id, 1), 0);
    const outcome = await stock.reserve(activity.id, 1, { userId: '22', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
    assert.equal(outcome.code, 'SOLD_OUT');

    await waitFor(async () => (await stock.result(activity.id, '21')).status === 'CANCELLED', 20_000, 'the timeout');
    const { orderId } = await stock.result(activity.id, '21');
    const order = await call<OrderView>(`${app.url}/api/orders/${orderId}`, { token: mintToken(config, 21) });
    assert.equal(order.body.status, 'CANCELLED');
    assert.ok(order.body.cancelledAt);
    assert.equal(await stock.remaining(activity.id, 1), 1);
    const again = await reserve(activity, [22]);
    assert.equal(again.size, 1);
    assert.deepEqual(await orders.countByActivity(activity.id), { pendingPayment: 0, paid: 0, cancelled: 1 });
  });

  it('lets exactly one of a racing cancel and payment win', async () => {
    const activity = await createActivity({ stock: 20 });
    const reservations = await reserve(activity, Array.from({ length: 20 }, (_, i) => 300 + i));
    await enqueue(activity, reservations);
    await waitFor(() => allCreated(activity, reservations), 20_000, 'orders');
    for (const [user] of reservations) {
      const { orderId } = await stock.result(activity.id, String(user));
      const id = BigInt(String(orderId));
      const [cancelled, paid] = await Promise.all([
        orders.transition(id, 'CANCELLED', new Date()),
        orders.transition(id, 'PAID', new Date()),
      ]);
      assert.equal(Number(cancelled) + Number(paid), 1);
      const row = await orders.findById(id);
      assert.equal(row?.status, cancelled ? 'CANCELLED' : 'PAID');
    }
  });

  it("keeps a shopper's orders to that shopper and lets them cancel their own", async () => {
    const activity = await createActivity({ stock: 5 });
    const reservations = await reserve(activity, [701, 702]);
    await enqueue(activity, reservations);
    await waitFor(() => allCreated(activity, reservations), 20_000, 'orders');
    const a = mintToken(config, 701);
    const b = mintToken(config, 702);
    const { orderId } = await stock.result(activity.id, '701');

    for (const response of [
      await call(`${app.url}/api/orders/${orderId}`, { token: b }),
      await call(`${app.url}/api/orders/${orderId}/cancel`, { method: 'POST', token: b }),
    ]) {
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'NOT_FOUND');
    }
    const listB = await call<{ items: OrderView[] }>(`${app.url}/api/orders`, { token: b });
    assert.ok(listB.body.items.every((o) => o.userId === '702'));
    const listA = await call<{ items: OrderView[]; nextCursor: string | null }>(`${app.url}/api/orders?limit=1`, { token: a });
    assert.equal(listA.status, 200);
    assert.equal(listA.body.items[0].id, orderId);

    const cancelled = await call<OrderView>(`${app.url}/api/orders/${orderId}/cancel`, { method: 'POST', token: a });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'CANCELLED');
    assert.equal(await stock.remaining(activity.id, 1), 4);
    // The unit went back and the shopper holds nothing any more: they may buy again.
    assert.equal((await reserve(activity, [701])).size, 1);
    const twice = await call(`${app.url}/api/orders/${orderId}/cancel`, { method: 'POST', token: a });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'ORDER_NOT_PAYABLE');
    assert.equal(await stock.remaining(activity.id, 1), 3);

    for (const bad of ['abc', '0', '-1', '99999999999999999999']) {
      const response = await call(`${app.url}/api/orders/${bad}`, { token: a });
      assert.equal(response.status, 400, bad);
      assert.equal(response.body.code, 'VALIDATION_FAILED');
    }
    assert.equal((await call(`${app.url}/api/orders/9999999999999999999`, { token: a })).status, 404);
    assert.equal((await call(`${app.url}/api/orders?cursor=9999999999999999999`, { token: a })).status, 400);
    assert.equal((await call(`${app.url}/api/orders?limit=0`, { token: a })).status, 400);
    assert.equal((await call(`${app.url}/api/orders`)).status, 401);
  });
});
