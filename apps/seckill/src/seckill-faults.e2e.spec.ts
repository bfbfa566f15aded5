import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ActivityCache, ActivityRecord, ActivityRepository } from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { PurchaseTokens } from '@seckill/seckill';
import { StockService } from '@seckill/stock';
import {
  call,
  createTestConfig,
  createTestDatabases,
  CuttableProxy,
  dropTestResources,
  mintToken,
  sleep,
  startTestApp,
  startTestRedisServer,
  TEST_MYSQL,
  TestApp,
  TestRedisServer,
  waitFor,
} from '@seckill/testing';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

// The seckill service when a dependency goes away: Redis (a redis-server of this test's own, killed) and MySQL (the
// shared MariaDB behind a proxy this test cuts). A purchase needs Redis, never MySQL.

const HOUR = 3600_000;

async function createActivity(app: TestApp, stock: number): Promise<ActivityRecord> {
  const now = Date.now();
  const record = await app.app.get(ActivityRepository, { strict: false }).create({
    title: 'faults',
    description: '',
    priceCents: 100,
    originalPriceCents: null,
    stock,
    stockShards: 1,
    startAt: new Date(now - HOUR),
    endAt: new Date(now + HOUR),
    paymentTimeoutSeconds: 900,
  });
  await app.app.get(ActivityCache, { strict: false }).changed(record.id);
  await app.app.get(StockService, { strict: false }).prewarm(record);
  return record;
}

function purchaser(config: AppConfig, app: () => TestApp) {
  const tokens = new PurchaseTokens(config.JWT_SECRET, config.PURCHASE_TOKEN_TTL_SECONDS);
  return (activityId: number, userId: number) =>
    call(`${app().url}/api/activities/${activityId}/purchase`, {
      token: mintToken(config, userId),
      body: { token: tokens.issue(activityId, String(userId), Date.now()).token },
    });
}

function assertBusy(response: { status: number; headers: Headers; body: unknown }, what: string): void {
  assert.equal(response.status, 503, `${what}: ${JSON.stringify(response.body)}`);
  assert.equal((response.body as { code: string }).code, 'BUSY', what);
  assert.match(response.headers.get('retry-after') ?? '', /^\d+$/, what);
}

describe('seckill while Redis is down', () => {
  let redis: TestRedisServer;
  let config: AppConfig;
  let app: TestApp;

  before(async () => {
    redis = await startTestRedisServer();
    config = createTestConfig({
      REDIS_URL: redis.url,
      RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
      CATALOG_LOCAL_TTL_MS: '100',
      SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    });
    await createTestDatabases(config);
    app = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
  });

  after(async () => {
    await app?.close();
    await redis.start();
    await dropTestResources(config);
    await redis.kill();
  });

  it('answers 503 BUSY with Retry-After where Redis is needed, and serves the catalog from memory', async () => {
    const buy = purchaser(config, () => app);
    const activity = await createActivity(app, 10);
    assert.equal((await buy(activity.id, 1)).status, 202);
    const seen = await call<ActivityView>(`${app.url}/api/activities/${activity.id}`);
    assert.equal(seen.body.remaining, 9);
    assert.equal((await call<ActivityView[]>(`${app.url}/api/activities`)).status, 200);

    await redis.kill();
    await sleep(300); // the in-memory entries expire (CATALOG_LOCAL_TTL_MS 100)

    assertBusy(await buy(activity.id, 2), 'purchase');
    assertBusy(await call(`${app.url}/api/activities/${activity.id}/result`, { token: mintToken(config, 1) }), 'result');
    const view = await call<ActivityView>(`${app.url}/api/activities/${activity.id}`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.equal(view.body.remaining, 9, 'the last remaining this instance knew');
    assert.equal(view.body.status, 'ACTIVE');
    const stock = await call<{ remaining: number }>(`${app.url}/api/activities/${activity.id}/stock`);
    assert.deepEqual([stock.status, stock.body.remaining], [200, 9]);
    const list = await call<ActivityView[]>(`${app.url}/api/activities`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.find((a) => a.id === activity.id)?.remaining, 9);
    const token = await call(`${app.url}/api/activities/${activity.id}/token`, { method: 'POST', token: mintToken(config, 3) });
    assert.equal(token.status, 200, 'a purchase token needs no Redis');
    assertBusy(await call(`${app.url}/health/ready`), 'readiness');
  });
});

describe('seckill while MySQL is down', () => {
  let direct: AppConfig;
  let proxied: AppConfig;
  let proxy: CuttableProxy;
  let app: TestApp;

  before(async () => {
    direct = createTestConfig({
      RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
      CATALOG_LOCAL_TTL_MS: '100',
      CATALOG_SHARED_TTL_MS: '1000',
      SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    });
    await createTestDatabases(direct);
    proxy = new CuttableProxy(Number(new URL(TEST_MYSQL).port || 3306));
    await proxy.start();
    proxied = Object.assign(new AppConfig(), direct, {
      DATABASE_URL: proxy.via(direct.DATABASE_URL),
      ORDER_SHARD_URLS: direct.ORDER_SHARD_URLS.map((url) => proxy.via(url)),
    });
    app = await startTestApp('seckill', AppModule.register(proxied), proxied, configureSeckill);
  });

  after(async () => {
    await app?.close();
    await proxy?.cut().catch(() => undefined);
    await dropTestResources(direct);
  });

  it('stays ready and keeps selling from Redis, its catalog entries expired, through the outage', async () => {
    const buy = purchaser(direct, () => app);
    const activity = await createActivity(app, 50);
    assert.equal((await call(`${app.url}/api/activities/${activity.id}`)).status, 200);
    assert.equal((await call(`${app.url}/api/activities`)).status, 200);
    assert.equal((await buy(activity.id, 1)).status, 202);

    await proxy.cut();
    // Longer than both catalog levels live (1 s ± 20% in Redis, 100 ms in memory).
    await sleep(1500);

    const ready = await call<{ checks: Record<string, string> }>(`${app.url}/health/ready`);
    assert.equal(ready.status, 200, `ready without MySQL: ${JSON.stringify(ready.body)}`);
    for (let user = 2; user <= 6; user++) {
      const bought = await buy(activity.id, user);
      assert.equal(bought.status, 202, JSON.stringify(bought.body));
    }
    // Catalog reads serve the stock from memory, refreshed from Redis about every 100 ms (StockSnapshot).
    let seen: unknown;
    await waitFor(async () => {
      const view = await call<ActivityView>(`${app.url}/api/activities/${activity.id}`);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      seen = view.body.remaining;
      return view.body.remaining === 44;
    }, 5000, 'the catalog to show the 5 units sold through the outage').catch((error: Error) => {
      throw new Error(`${error.message}: remaining ${String(seen)}`);
    });
    const list = await call<ActivityView[]>(`${app.url}/api/activities`);
    assert.equal(list.status, 200, JSON.stringify(list.body));

    await proxy.start();
    assert.equal((await buy(activity.id, 7)).status, 202);
  });
});
