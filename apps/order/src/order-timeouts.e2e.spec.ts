import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ActivityCache, ActivityRecord, ActivityRepository } from '@seckill/activities';
import { OrderCreateJob, orderCreateJobs, OrderTimeoutJob, QUEUES } from '@seckill/contracts';
import { OrderRepository, OrderRow } from '@seckill/order-store';
import { OrderTimeouts } from '@seckill/orders';
import { AppConfig, ORDER_SHARD_DBS, Prisma, PrismaClient } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { createTestConfig, createTestDatabases, dropTestResources, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { AppModule } from './app.module';

// Unpaid-order timeouts in batches, against real MariaDB (2 databases × 8 tables), Redis and BullMQ: stock back
// exactly, a payment racing the cancel, a crash between the cancel and the release, one activity's backlog beside
// another's single order.

const BATCH = 200;

let config: AppConfig;
let app: TestApp;
let stock: StockService;
let orders: OrderRepository;
let timeouts: OrderTimeouts;
let creates: Queue<OrderCreateJob>;
let timeoutQueue: Queue<OrderTimeoutJob>;
let nextUser = 1;

async function createActivity(units: number): Promise<ActivityRecord> {
  const now = Date.now();
  const record = await app.app.get(ActivityRepository, { strict: false }).create({
    title: 'timeouts test',
    description: '',
    priceCents: 100,
    originalPriceCents: null,
    stock: units,
    stockShards: 1,
    startAt: new Date(now - 1000),
    endAt: new Date(now + 3600_000),
    // Long: the tests decide when the orders expire (expire() below), not the clock.
    paymentTimeoutSeconds: 900,
  });
  await app.app.get(ActivityCache, { strict: false }).changed(record.id);
  await stock.prewarm(record);
  return record;
}

/** An activity sold out to `units` shoppers, each with an unpaid order. */
async function soldOut(units: number): Promise<{ activity: ActivityRecord; orders: OrderRow[] }> {
  const activity = await createActivity(units);
  const refs = [];
  for (let i = 0; i < units; i++) {
    const userId = String(nextUser++);
    const outcome = await stock.reserve(activity.id, 1, { userId, reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
    assert.equal(outcome.code, 'OK');
    if (outcome.code === 'OK') refs.push({ reservationId: outcome.reservationId, userId, reservedAt: Date.now() });
  }
  await creates.addBulk(orderCreateJobs(activity.id, refs));
  await waitFor(async () => (await orders.countByActivity(activity.id)).pendingPayment === units, 60_000, 'the orders');
  assert.equal(await stock.remaining(activity.id, 1), 0);
  return { activity, orders: await orders.listByActivity(activity.id, ['PENDING_PAYMENT']) };
}

/** Moves the activity's orders' expiry into the past (as if their payment window had run out). */
async function expire(activity: ActivityRecord): Promise<void> {
  const shards = app.app.get<PrismaClient[]>(ORDER_SHARD_DBS, { strict: false });
  const past = new Date(Date.now() - 1000);
  for (const at of orders.router.all()) {
    await shards[at.database].$executeRaw`UPDATE ${Prisma.raw(at.tableName)} SET expires_at = ${past} WHERE activity_id = ${activity.id}`;
  }
}

/** Makes the activity's delayed timeout jobs due now (their delay ran out). */
async function promoteTimeouts(activity: ActivityRecord): Promise<number> {
  const jobs = (await timeoutQueue.getDelayed()).filter((job) => job.data.activityId === activity.id);
  for (const job of jobs) await job.promote();
  return jobs.length;
}

const ids = (rows: OrderRow[]) => rows.map((row) => String(row.id));

before(async () => {
  config = createTestConfig({ ORDER_TIMEOUT_BATCH: String(BATCH), ORDER_DRAIN_RATE_PER_SECOND: '100000' });
  await createTestDatabases(config);
  app = await startTestApp('order', AppModule.register(config), config);
  stock = app.app.get(StockService, { strict: false });
  orders = app.app.get(OrderRepository, { strict: false });
  timeouts = app.app.get(OrderTimeouts, { strict: false });
  creates = app.app.get(getQueueToken(QUEUES.orderCreate), { strict: false });
  timeoutQueue = app.app.get(getQueueToken(QUEUES.orderTimeout), { strict: false });
});

after(async () => {
  await app?.close();
  await dropTestResources(config);
});

describe('order timeouts in batches', () => {
  it('cancels 1,200 expired orders across all 16 tables through their jobs and puts exactly their units back', async () => {
    const { activity, orders: rows } = await soldOut(1200);
    const tables = new Set(rows.map((row) => orders.router.forOrderId(row.id).tableName + orders.router.forOrderId(row.id).database));
    assert.equal(tables.size, orders.router.all().length);
    await expire(activity);
    assert.ok((await promoteTimeouts(activity)) > 0);
    await waitFor(async () => (await orders.countByActivity(activity.id)).cancelled === 1200, 60_000, 'the cancels');
    await waitFor(async () => (await stock.remaining(activity.id, 1)) === 1200, 10_000, 'the units');
    assert.deepEqual(await orders.countByActivity(activity.id), { pendingPayment: 0, paid: 0, cancelled: 1200 });
    // Every reservation released once, every shopper free to buy again; nothing more than the stock went back.
    assert.equal(await stock.holders(activity.id), 0);
    const again = await timeouts.expire(activity.id, ids(rows));
    assert.equal(again.cancelled, 1200);
    assert.equal(await stock.remaining(activity.id, 1), 1200);
    await waitFor(async () => (await timeoutQueue.getJobCounts('active', 'wait')).active === 0, 10_000, 'the jobs');
    const failed = (await timeoutQueue.getFailed()).filter((job) => job.data.activityId === activity.id);
    assert.equal(failed.length, 0);
  });

  it('lets exactly one of a payment and the timeout win for each order, and returns units only for the cancelled', async () => {
    const { activity, orders: rows } = await soldOut(300);
    await expire(activity);
    const [outcome, paid] = await Promise.all([
      timeouts.expire(activity.id, ids(rows)),
      Promise.all(rows.map((row, i) => (i % 2 === 0 ? orders.transition(row.id, 'PAID', new Date()) : Promise.resolve(false)))),
    ]);
    const after = new Map((await orders.listByActivity(activity.id, ['PAID', 'CANCELLED', 'PENDING_PAYMENT'])).map((row) => [row.id, row]));
    let paidCount = 0;
    rows.forEach((row, i) => {
      const now = after.get(row.id);
      if (paid[i]) {
        paidCount++;
        assert.equal(now?.status, 'PAID', `order ${row.id} paid`);
      } else assert.equal(now?.status, 'CANCELLED', `order ${row.id} not paid`);
    });
    assert.ok(paidCount > 0 && paidCount <= 150);
    assert.equal(outcome.cancelled, 300 - paidCount);
    assert.equal(await stock.remaining(activity.id, 1), 300 - paidCount);
    assert.equal(await stock.holders(activity.id), paidCount);
    // The paid orders' reservations still hold their units.
    for (const [i, row] of rows.entries()) {
      if (paid[i]) assert.equal((await stock.result(activity.id, String(row.user_id))).status, 'CREATED');
    }
  });

  it('finishes a batch that crashed between its UPDATE and its release on retry, without returning a unit twice', async () => {
    const { activity, orders: rows } = await soldOut(200);
    await expire(activity);
    // The crash: the conditional UPDATE went through, the release never ran.
    const first = await orders.cancelExpired(activity.id, rows.map((row) => row.id), new Date());
    assert.equal(first.cancelled, 200);
    assert.equal(await stock.remaining(activity.id, 1), 0);
    // Worse, a crash in the middle: a part of them released already, by an attempt that did not finish.
    const shards = 1;
    const part = rows.slice(0, 50).map((row) => ({ reservationId: row.reservation_id, orderId: String(row.id) }));
    assert.equal(await stock.releaseMany(activity.id, shards, part), 50);
    // The retry (the job run again) cancels nothing more and returns exactly the 150 units still out.
    const retry = await timeouts.expire(activity.id, ids(rows));
    assert.equal(retry.cancelled, 200);
    assert.equal(await stock.remaining(activity.id, 1), 200);
    assert.equal(await timeouts.expire(activity.id, ids(rows)).then((o) => o.cancelled), 200);
    assert.equal(await stock.remaining(activity.id, 1), 200);
    assert.equal(await stock.releaseMany(activity.id, shards, part), 0);
    assert.deepEqual(await orders.countByActivity(activity.id), { pendingPayment: 0, paid: 0, cancelled: 200 });
  });

  it("takes another activity's single due order in the very next pass, beside a backlog of thousands", async () => {
    const a = await soldOut(3000);
    const b = await soldOut(1);
    await expire(a.activity);
    await expire(b.activity);
    const passBefore = timeouts.passCount;
    const backlog = timeouts.expire(a.activity.id, ids(a.orders));
    const single = await timeouts.expire(b.activity.id, ids(b.orders));
    assert.equal(single.cancelled, 1);
    assert.equal(single.pass, passBefore + 1, 'the first pass');
    const all = await backlog;
    assert.equal(all.cancelled, 3000);
    // A's backlog took its BATCH per pass: 15 passes, the first of which also took B's order.
    assert.equal(all.pass, passBefore + 3000 / BATCH);
    assert.equal(await stock.remaining(a.activity.id, 1), 3000);
    assert.equal(await stock.remaining(b.activity.id, 1), 1);
  });

  it('through the queue, does not keep the single order waiting for the backlog ahead of it', async () => {
    const a = await soldOut(3000);
    const b = await soldOut(1);
    await expire(a.activity);
    await expire(b.activity);
    // A's jobs are due first, B's last: the queue alone would hand B's over after all of A's.
    await promoteTimeouts(a.activity);
    await promoteTimeouts(b.activity);
    await waitFor(async () => (await orders.countByActivity(a.activity.id)).cancelled === 3000, 60_000, "A's cancels");
    await waitFor(async () => (await orders.countByActivity(b.activity.id)).cancelled === 1, 10_000, "B's cancel");
    const [orderOfB] = await orders.listByActivity(b.activity.id, ['CANCELLED']);
    const ofA = await orders.listByActivity(a.activity.id, ['CANCELLED']);
    const cancelledAt = (row: OrderRow) => row.cancelled_at?.getTime() ?? Infinity;
    const before = ofA.filter((row) => cancelledAt(row) < cancelledAt(orderOfB)).length;
    // B's order went in one of the first passes (each takes at most BATCH of A, a few in flight at once), not
    // after A's 3,000.
    assert.ok(before <= 6 * BATCH, `${before} of A's orders were cancelled before B's`);
    assert.equal(await stock.remaining(a.activity.id, 1), 3000);
    assert.equal(await stock.remaining(b.activity.id, 1), 1);
  });
});
