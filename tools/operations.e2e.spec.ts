import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ActivityView, ReservationResult } from '@seckill/contracts';
import { configureAdmin, StatsSnapshot } from '@seckill/admin';
import { OrderIdGenerator, OrderRepository, OrderWriter } from '@seckill/order-store';
import { AppConfig } from '@seckill/platform';
import { call, createTestConfig, createTestDatabases, dropTestResources, mintToken, sleep, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { AppModule as AdminApp } from '../apps/admin/src/app.module';
import { AppModule as OrderApp } from '../apps/order/src/app.module';
import { AppModule as SeckillApp } from '../apps/seckill/src/app.module';
import { configureSeckill } from '../apps/seckill/src/configure';

// Operating a sale across the admin, seckill and order services (one process, three apps, the real MariaDB, Redis and
// BullMQ): the live stats equal the database after a sale, and an operator's retry of a job that failed for good
// creates its order, while a discard returns its unit.

let config: AppConfig;
let admin: TestApp;
let seckill: TestApp;
let order: TestApp;
let operator: string;
type Reconciliation = { consistent: boolean; remaining: number; reserved: number; orders: { pendingPayment: number; paid: number; cancelled: number } };

const adminCall = <T = Record<string, unknown>>(path: string, options: { method?: string; body?: unknown } = {}) =>
  call<T>(`${admin.url}${path}`, { ...options, token: operator });

async function createActivity(stock: number, startInMs: number): Promise<ActivityView> {
  const start = Date.now() + startInMs;
  const created = await adminCall<ActivityView>('/api/admin/activities', {
    body: { title: 'Ops sale', priceCents: 990, stock, stockShards: 2, startAt: new Date(start).toISOString(), endAt: new Date(start + 3600_000).toISOString() },
  });
  assert.equal(created.status, 201);
  return created.body;
}

/** A shopper's token and purchase; `purchased` says whether the purchase was sent (the token may be refused). */
async function buy(activityId: number, user: number): Promise<{ status: number; code?: string; purchased: boolean }> {
  const token = mintToken(config, user);
  const issued = await call<{ token: string; code?: string }>(`${seckill.url}/api/activities/${activityId}/token`, { method: 'POST', token });
  if (issued.status !== 200) return { status: issued.status, code: issued.body.code, purchased: false };
  const bought = await call<{ code?: string }>(`${seckill.url}/api/activities/${activityId}/purchase`, { token, body: { token: issued.body.token } });
  return { status: bought.status, code: bought.body.code, purchased: true };
}

const result = async (activityId: number, user: number) =>
  (await call<ReservationResult>(`${seckill.url}/api/activities/${activityId}/result`, { token: mintToken(config, user) })).body;

const activityStats = async (id: number) => (await adminCall<StatsSnapshot>('/api/admin/stats')).body.activities.find((a) => a.id === id);

before(async () => {
  config = createTestConfig({
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
    SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    // The sweeper stays out of the way: this file makes jobs fail on purpose.
    ORDER_SWEEP_INTERVAL_MS: '600000',
    // Three apps in one process on a MariaDB shared with other test files: small pools.
    DATABASE_POOL_SIZE: '3',
  });
  await createTestDatabases(config);
  admin = await startTestApp('admin', AdminApp.register(config), config, configureAdmin);
  seckill = await startTestApp('seckill', SeckillApp.register(config), config, configureSeckill);
  order = await startTestApp('order', OrderApp.register(config), config);
  operator = mintToken(config, 1, 'admin');
});

after(async () => {
  await Promise.all([admin?.close(), seckill?.close(), order?.close()]);
  await dropTestResources(config);
});

describe('operating a sale', () => {
  it('reports live stats equal to the database after a sale of 20 units among 50 shoppers with 3 cancellations', async () => {
    const activity = await createActivity(20, 1200);
    await sleep(Math.max(0, Date.parse(activity.startAt) - Date.now() + 50));
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => buy(activity.id, 5000 + i)));
    const winners = answers.map((answer, i) => ({ ...answer, user: 5000 + i })).filter((answer) => answer.status === 202);
    assert.equal(winners.length, 20);
    assert.ok(answers.every((a) => a.status === 202 || a.code === 'SOLD_OUT'));

    const reconcile = async () => (await adminCall<Reconciliation>(`/api/admin/reconciliation?activityId=${activity.id}`)).body;
    await waitFor(async () => (await reconcile()).orders.pendingPayment === 20, 30_000, 'the 20 orders');
    for (const winner of winners.slice(0, 3)) {
      const { orderId } = await result(activity.id, winner.user);
      const cancelled = await call(`${order.url}/api/orders/${orderId}/cancel`, { method: 'POST', token: mintToken(config, winner.user) });
      assert.equal(cancelled.status, 200);
    }
    const db = await reconcile();
    assert.equal(db.consistent, true, JSON.stringify(db));
    assert.deepEqual(db.orders, { pendingPayment: 17, paid: 0, cancelled: 3 });

    // Counted in memory where orders are written and changed, flushed within a second or so.
    await waitFor(async () => (await activityStats(activity.id))?.ordersCancelled === 3, 5000, 'the flushed counts');
    const stats = await adminCall<StatsSnapshot>('/api/admin/stats');
    const live = stats.body.activities.find((a) => a.id === activity.id);
    assert.deepEqual(
      live && [live.stock, live.remaining, live.reserved, live.ordersCreated, live.ordersPaid, live.ordersCancelled],
      [20, db.remaining, db.reserved, db.orders.pendingPayment + db.orders.paid + db.orders.cancelled, db.orders.paid, db.orders.cancelled],
    );
    assert.equal(live?.remaining, 3);
    assert.equal(stats.body.purchases.totals.ACCEPTED, 20);
    // Counted at the purchase (a shopper refused a token never sent one).
    assert.equal(stats.body.rejections.totals.SOLD_OUT, answers.filter((a) => a.purchased && a.code === 'SOLD_OUT').length);
    assert.equal(stats.body.queues['order-create'].failed, 0);
    assert.equal(stats.body.relay.backlog, 0);
    assert.ok(stats.body.series.some((second) => second.accepted > 0), 'the sale is in the last minute of the chart');

    const orderMetrics = await (await fetch(`${order.url}/metrics`)).text();
    assert.match(orderMetrics, /^orders_created_total 20$/m);
    assert.match(orderMetrics, /^orders_create_batch_size_count [1-9]\d*$/m);
    assert.match(await (await fetch(`${seckill.url}/metrics`)).text(), /^seckill_relay_backlog 0$/m);
    assert.match(await (await fetch(`${admin.url}/metrics`)).text(), /^bullmq_queue_jobs\{queue="order-create",state="completed"\} [1-9]\d*$/m);
  });

  it('creates the order of a failed job an operator retries, and returns the unit of one discarded', async () => {
    const activity = await createActivity(5, -1000);
    await adminCall(`/api/admin/activities/${activity.id}/prewarm`, { method: 'POST' });
    const writer = admin.app.get(OrderWriter, { strict: false });
    const repository = admin.app.get(OrderRepository, { strict: false });
    const ids = new OrderIdGenerator(17);
    // Each shopper already holds a live order of the activity that Redis never reserved: their reservation's job
    // can never succeed, and fails for good.
    const blockers = new Map<number, bigint>();
    for (const user of [7001, 7002]) {
      const blocker = await writer.write({
        id: ids.next(BigInt(user)),
        reservationId: `blocker-${user}`,
        activityId: activity.id,
        userId: BigInt(user),
        priceCents: 1,
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 3600_000),
      });
      assert.ok(blocker);
      blockers.set(user, blocker.id);
      assert.equal((await buy(activity.id, user)).status, 202);
    }
    await waitFor(async () => (await result(activity.id, 7001)).status === 'FAILED' && (await result(activity.id, 7002)).status === 'FAILED', 20_000, 'both jobs to fail');
    const failed = (await adminCall<{ failed: Array<{ id: string; queue: string; data: { reservations: Array<{ userId: string }> } }> }>('/api/admin/queues')).body.failed;
    const jobOf = (user: number) => failed.find((job) => job.data.reservations.some((r) => r.userId === String(user)));
    const [retried, discarded] = [jobOf(7001), jobOf(7002)];
    assert.ok(retried && discarded, JSON.stringify(failed));

    // The cause is fixed (the stray order is cancelled), then the operator retries.
    await repository.transition(blockers.get(7001)!, 'CANCELLED', new Date());
    const retry = await adminCall(`/api/admin/queues/order-create/jobs/${encodeURIComponent(retried.id)}/retry`, { method: 'POST' });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    await waitFor(async () => (await result(activity.id, 7001)).status === 'CREATED', 20_000, 'the retried order');
    const created = await result(activity.id, 7001);
    const mine = await call<{ status: string; activityId: number }>(`${order.url}/api/orders/${created.orderId}`, { token: mintToken(config, 7001) });
    assert.deepEqual([mine.status, mine.body.status, mine.body.activityId], [200, 'PENDING_PAYMENT', activity.id]);

    const remaining = async () => (await call<{ remaining: number }>(`${seckill.url}/api/activities/${activity.id}/stock`)).body.remaining;
    assert.equal(await remaining(), 3);
    const discard = await adminCall<{ released: number }>(`/api/admin/queues/order-create/jobs/${encodeURIComponent(discarded.id)}/discard`, { method: 'POST' });
    assert.equal(discard.status, 200, JSON.stringify(discard.body));
    assert.equal(discard.body.released, 1);
    // Stock reads are served from a copy refreshed about every 100 ms.
    await waitFor(async () => (await remaining()) === 4, 2000, 'the discarded unit back in the stock read');
    assert.equal((await result(activity.id, 7002)).status, 'CANCELLED');
    const left = (await adminCall<{ failed: Array<{ id: string }> }>('/api/admin/queues')).body.failed;
    assert.ok(!left.some((job) => job.id === discarded.id || job.id === retried.id));
    assert.equal((await adminCall(`/api/admin/queues/order-create/jobs/${encodeURIComponent(discarded.id)}/retry`, { method: 'POST' })).status, 404);

    await repository.transition(blockers.get(7002)!, 'CANCELLED', new Date());
    const db = (await adminCall<Reconciliation>(`/api/admin/reconciliation?activityId=${activity.id}`)).body;
    assert.equal(db.consistent, true, JSON.stringify(db));
    await waitFor(async () => (await activityStats(activity.id))?.ordersCancelled === 2, 5000, 'the flushed counts');
    const live = await activityStats(activity.id);
    assert.deepEqual([live?.ordersCreated, live?.ordersCancelled], [db.orders.pendingPayment + db.orders.cancelled, db.orders.cancelled]);
    const audit = (await adminCall<{ items: Array<{ action: string; target: string }> }>('/api/admin/audit?limit=5')).body.items.map((e) => e.action);
    assert.ok(audit.includes('job.retry') && audit.includes('job.discard'), audit.join());
  });
});
