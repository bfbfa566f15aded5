import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ActivityView } from '@seckill/contracts';
import { OrderIdGenerator, OrderView, OrderWriter } from '@seckill/order-store';
import { AppConfig } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { call, createTestConfig, createTestDatabases, dropTestResources, mintToken, startTestApp, TestApp } from '@seckill/testing';
import { AppModule } from './app.module';

// The admin API against real MariaDB and Redis. Orders are written with the order service's repository, as its
// worker writes them, so that reconciliation can be held against known states.

let config: AppConfig;
let app: TestApp;
let admin: string;
const HOUR = 3600_000;

function create(body: Record<string, unknown>, token = admin) {
  return call<ActivityView>(`${app.url}/api/admin/activities`, { token, body });
}

function window(startOffsetMs: number, lengthMs = HOUR) {
  const start = Date.now() + startOffsetMs;
  return { startAt: new Date(start).toISOString(), endAt: new Date(start + lengthMs).toISOString() };
}

before(async () => {
  config = createTestConfig();
  await createTestDatabases(config);
  app = await startTestApp('admin', AppModule.register(config), config);
  admin = mintToken(config, 1, 'admin');
});

after(async () => {
  await app?.close();
  await dropTestResources(config);
});

describe('admin activities', () => {
  it('creates, lists, edits before the start and prewarms idempotently', async () => {
    const created = await create({ title: 'Phone', priceCents: 49900, stock: 10, ...window(HOUR), paymentTimeoutSeconds: 60 });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'UPCOMING');
    assert.equal(created.body.remaining, 10);

    const listed = await call<ActivityView[]>(`${app.url}/api/admin/activities`, { token: admin });
    assert.ok(listed.body.some((a) => a.id === created.body.id));

    const edited = await call<ActivityView>(`${app.url}/api/admin/activities/${created.body.id}`, {
      method: 'PATCH',
      token: admin,
      body: { stock: 12, title: 'Phone X' },
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.stock, 12);
    assert.equal(edited.body.title, 'Phone X');

    const prewarm = () => call<{ remaining: number }>(`${app.url}/api/admin/activities/${created.body.id}/prewarm`, { method: 'POST', token: admin });
    assert.deepEqual((await prewarm()).body, { remaining: 12 });
    assert.deepEqual((await prewarm()).body, { remaining: 12 });
    // An edit before the start reloads the loaded stock.
    await call(`${app.url}/api/admin/activities/${created.body.id}`, { method: 'PATCH', token: admin, body: { stock: 15 } });
    assert.deepEqual((await prewarm()).body, { remaining: 15 });
  });

  it('refuses sale edits once started (409 ALREADY_STARTED) and bad input (400), changing nothing', async () => {
    const started = await create({ title: 'Live', priceCents: 100, stock: 5, ...window(-1000) });
    assert.equal(started.status, 201);
    const late = await call(`${app.url}/api/admin/activities/${started.body.id}`, { method: 'PATCH', token: admin, body: { stock: 500 } });
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'ALREADY_STARTED');
    const bads = [
      { title: 'x', priceCents: 1, stock: 0, ...window(HOUR) },
      { title: 'x', priceCents: -1, stock: 1, ...window(HOUR) },
      { title: 'x', priceCents: 1, stock: 1, startAt: 'tomorrow', endAt: window(HOUR).endAt },
      { title: 'x', priceCents: 1, stock: 1, ...window(HOUR), paymentTimeoutSeconds: 0 },
      { title: 'x', priceCents: 1, stock: 1, startAt: window(HOUR).endAt, endAt: window(HOUR).startAt },
      { title: 'x', priceCents: 1, stock: 1, ...window(HOUR), extra: true },
    ];
    const before = (await call<ActivityView[]>(`${app.url}/api/admin/activities`, { token: admin })).body.length;
    for (const body of bads) {
      const response = await create(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((response.body as unknown as { code: string }).code, 'VALIDATION_FAILED');
    }
    assert.equal((await call<ActivityView[]>(`${app.url}/api/admin/activities`, { token: admin })).body.length, before);
    const view = await call<ActivityView>(`${app.url}/api/admin/activities/${started.body.id}`, { token: admin });
    assert.equal(view.body.stock, 5);
  });

  it('is for admins only: 401 without a token, 403 for a shopper', async () => {
    assert.equal((await call(`${app.url}/api/admin/activities`)).status, 401);
    const shopper = await call(`${app.url}/api/admin/activities`, { token: mintToken(config, 2) });
    assert.equal(shopper.status, 403);
    assert.equal(shopper.body.code, 'FORBIDDEN');
    assert.equal((await create({ title: 'x', priceCents: 1, stock: 1, ...window(HOUR) }, mintToken(config, 2))).status, 403);
  });

  it('reads and sets switches, refusing unknown names and bad values', async () => {
    const all = await call<Record<string, unknown>>(`${app.url}/api/admin/switches`, { token: admin });
    assert.deepEqual(all.body, { registration: true, orderQueries: true, purchaseShedPercent: 0, paymentBreaker: 'AUTO' });
    const set = await call(`${app.url}/api/admin/switches/purchaseShedPercent`, { method: 'PUT', token: admin, body: { value: 30 } });
    assert.equal(set.status, 200);
    assert.equal(set.body.purchaseShedPercent, 30);
    const bad = await call(`${app.url}/api/admin/switches/purchaseShedPercent`, { method: 'PUT', token: admin, body: { value: 101 } });
    assert.equal(bad.status, 400);
    const unknown = await call(`${app.url}/api/admin/switches/nope`, { method: 'PUT', token: admin, body: { value: true } });
    assert.equal(unknown.status, 404);
    await call(`${app.url}/api/admin/switches/purchaseShedPercent`, { method: 'PUT', token: admin, body: { value: 0 } });
  });
});

describe('admin reconciliation and orders across shards', () => {
  it('holds Redis against MySQL and names every mismatch', async () => {
    const created = await create({ title: 'Reconcile', priceCents: 700, stock: 6, ...window(-1000) });
    const id = created.body.id;
    await call(`${app.url}/api/admin/activities/${id}/prewarm`, { method: 'POST', token: admin });
    const stock = app.app.get(StockService, { strict: false });
    const writer = app.app.get(OrderWriter, { strict: false });
    const ids = new OrderIdGenerator(31);
    for (const user of [101, 102, 103, 104]) {
      const outcome = await stock.reserve(id, 1, { userId: String(user), reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
      assert.equal(outcome.code, 'OK');
      if (outcome.code !== 'OK') continue;
      const userId = BigInt(user);
      await writer.write({
        id: ids.next(userId),
        reservationId: outcome.reservationId,
        activityId: id,
        userId,
        priceCents: 700,
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + HOUR),
      });
    }
    const reconcile = () => call<Record<string, unknown>>(`${app.url}/api/admin/reconciliation?activityId=${id}`, { token: admin });
    const good = await reconcile();
    assert.equal(good.status, 200);
    assert.equal(good.body.consistent, true, JSON.stringify(good.body));
    assert.equal(good.body.remaining, 2);
    assert.equal(good.body.reserved, 4);
    assert.deepEqual(good.body.orders, { pendingPayment: 4, paid: 0, cancelled: 0 });

    // An order MySQL has but Redis never reserved: an oversell waiting to happen.
    await writer.write({
      id: ids.next(999n),
      reservationId: randomUUID(),
      activityId: id,
      userId: 999n,
      priceCents: 700,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + HOUR),
    });
    const bad = await reconcile();
    assert.equal(bad.body.consistent, false);
    assert.ok((bad.body.mismatches as string[]).some((m) => m.includes('5 live orders for 4 units')), JSON.stringify(bad.body));

    const page1 = await call<{ items: OrderView[]; nextCursor: string }>(`${app.url}/api/admin/orders?limit=3&activityId=${id}`, { token: admin });
    assert.equal(page1.body.items.length, 3);
    const page2 = await call<{ items: OrderView[]; nextCursor: string | null }>(
      `${app.url}/api/admin/orders?limit=3&activityId=${id}&cursor=${page1.body.nextCursor}`,
      { token: admin },
    );
    assert.equal(page2.body.items.length, 2);
    assert.equal(page2.body.nextCursor, null);
    const all = [...page1.body.items, ...page2.body.items].map((o) => BigInt(o.id));
    assert.deepEqual(all, [...all].sort((a, b) => (a < b ? 1 : -1)), 'newest first across shards');

    assert.equal((await call(`${app.url}/api/admin/reconciliation?activityId=999999`, { token: admin })).status, 404);
    assert.equal((await call(`${app.url}/api/admin/reconciliation`, { token: admin })).status, 400);
    const queues = await call<{ depths: Record<string, unknown> }>(`${app.url}/api/admin/queues`, { token: admin });
    assert.equal(queues.status, 200);
    assert.ok('order-create' in queues.body.depths);
  });
});
