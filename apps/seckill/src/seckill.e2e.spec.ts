import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as mariadb from 'mariadb';
import type Redis from 'ioredis';
import { ActivityCache, ActivityRepository } from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { SwitchesService } from '@seckill/flow-control';
import { StockService } from '@seckill/stock';
import { OrderWriter } from '@seckill/order-store';
import { AppConfig, poolConfigFromUrl, REDIS } from '@seckill/platform';
import { PurchaseTokens } from '@seckill/seckill';
import {
  call,
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  mintToken,
  startTestApp,
  TestApp,
  waitFor,
  TEST_MYSQL,
} from '@seckill/testing';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

// The seckill service against real MariaDB and Redis; activities are written as the admin service writes them.
// MySQL statements are counted per database user (MariaDB's USER_STATISTICS), so the seckill instances
// connect as a user of their own.

const SECOND = 1000;
const dbUser = `sk_${Math.random().toString(36).slice(2, 10)}`;

let base: AppConfig;
let seckillConfig: AppConfig;
let seckill: TestApp;
let root: mariadb.Connection;
let tokens: PurchaseTokens;

async function selectsByUser(): Promise<number> {
  const rows = await root.query<Array<{ SELECT_COMMANDS: number | bigint }>>(
    'SELECT SELECT_COMMANDS FROM information_schema.USER_STATISTICS WHERE USER = ?',
    [dbUser],
  );
  return rows.length === 0 ? 0 : Number(rows[0].SELECT_COMMANDS);
}

/** Creates an activity as the admin service does: the row, then the catalog's change signal. */
async function createActivity(fields: { stock?: number; stockShards?: number; startAt?: number; endAt?: number } = {}) {
  const now = Date.now();
  const record = await seckill.app.get(ActivityRepository, { strict: false }).create({
    title: 'test',
    description: '',
    priceCents: 100,
    originalPriceCents: null,
    stock: fields.stock ?? 100,
    stockShards: fields.stockShards ?? 1,
    startAt: new Date(fields.startAt ?? now - SECOND),
    endAt: new Date(fields.endAt ?? now + 3600 * SECOND),
    paymentTimeoutSeconds: 900,
  });
  await seckill.app.get(ActivityCache, { strict: false }).changed(record.id);
  return record;
}

async function prewarm(id: number): Promise<void> {
  const record = await seckill.app.get(ActivityRepository, { strict: false }).findById(id);
  assert.ok(record);
  await seckill.app.get(StockService, { strict: false }).prewarm(record);
}

function purchase(app: TestApp, activityId: number, userId: number, token?: string) {
  return call<Record<string, string>>(`${app.url}/api/activities/${activityId}/purchase`, {
    token: mintToken(base, userId),
    body: { token: token ?? tokens.issue(activityId, String(userId), Date.now()).token },
  });
}

async function stock(activityId: number): Promise<number> {
  const response = await call<{ remaining: number }>(`${seckill.url}/api/activities/${activityId}/stock`);
  return response.body.remaining;
}

before(async () => {
  base = createTestConfig({
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
    CATALOG_LOCAL_TTL_MS: '0',
    // Client and server share this process's event loop here: shedding on lag would measure the test, not the service.
    SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
  });
  await createTestDatabases(base);
  root = await mariadb.createConnection({ ...poolConfigFromUrl(base.DATABASE_URL, 1), database: undefined });
  await root.query('SET GLOBAL userstat = 1');
  await root.query(`CREATE USER '${dbUser}'@'%' IDENTIFIED BY 'pw'`);
  await root.query(`GRANT ALL ON *.* TO '${dbUser}'@'%'`);
  const mysqlAsUser = TEST_MYSQL.replace('mysql://root@', `mysql://${dbUser}:pw@`);
  seckillConfig = Object.assign(new AppConfig(), base, {
    DATABASE_URL: base.DATABASE_URL.replace(TEST_MYSQL, mysqlAsUser),
    ORDER_SHARD_URLS: base.ORDER_SHARD_URLS.map((url) => url.replace(TEST_MYSQL, mysqlAsUser)),
  });
  seckill = await startTestApp('seckill', AppModule.register(seckillConfig), seckillConfig, configureSeckill);
  tokens = new PurchaseTokens(base.JWT_SECRET, base.PURCHASE_TOKEN_TTL_SECONDS);
});

after(async () => {
  await seckill?.close();
  await root?.query(`DROP USER IF EXISTS '${dbUser}'@'%'`);
  await root?.end();
  await dropTestResources(base);
});

describe('seckill purchase', () => {
  for (const stockShards of [1, 4]) {
    it(`2,000 purchases by 1,500 users, 500 in flight at a time, against stock 100 over ${stockShards} key(s) sell exactly 100`, async () => {
      const activity = await createActivity({ stock: 100, stockShards });
      const users = Array.from({ length: 2000 }, (_, i) => 10_000 + (i < 1500 ? i : i % 500));
      // 500 at a time: client and server share this process, and 2,000 sockets opened at once from it were now and
      // then reset (ECONNRESET at the client) on a loaded machine; the race for the last units is as real with 500.
      const responses: Awaited<ReturnType<typeof purchase>>[] = new Array(users.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: 500 }, async () => {
          while (next < users.length) {
            const index = next++;
            responses[index] = await purchase(seckill, activity.id, users[index]);
          }
        }),
      );

      const accepted = responses.filter((r) => r.status === 202);
      assert.equal(accepted.length, 100);
      const winners = accepted.map((r) => r.body.reservationId);
      assert.equal(new Set(winners).size, 100);
      const winningUsers = users.filter((_, i) => responses[i].status === 202);
      assert.equal(new Set(winningUsers).size, 100, 'no user gets two units');
      for (const response of responses.filter((r) => r.status !== 202)) {
        assert.ok(
          ['ALREADY_PURCHASED', 'SOLD_OUT'].includes(response.body.code),
          `unexpected ${response.status} ${JSON.stringify(response.body)}`,
        );
      }
      assert.equal(await stock(activity.id), 0);
      const redis = seckill.app.get<Redis>(REDIS, { strict: false });
      const holders = await redis.hlen(`${base.REDIS_KEY_PREFIX}{a:${activity.id}}:holders`);
      assert.equal(holders, 100);
      const view = await call<ActivityView>(`${seckill.url}/api/activities/${activity.id}`);
      assert.equal(view.body.status, 'SOLD_OUT');
    });
  }

  it('reports the reservation on the result endpoint and refuses a second unit', async () => {
    const activity = await createActivity({ stock: 5 });
    const user = 77;
    const none = await call(`${seckill.url}/api/activities/${activity.id}/result`, { token: mintToken(base, user) });
    assert.deepEqual(none.body, { status: 'NONE' });
    const first = await purchase(seckill, activity.id, user);
    assert.equal(first.status, 202);
    assert.equal(first.body.status, 'QUEUED');
    const second = await purchase(seckill, activity.id, user);
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'ALREADY_PURCHASED');
    assert.equal(second.body.reservationId, first.body.reservationId);
    const result = await call(`${seckill.url}/api/activities/${activity.id}/result`, { token: mintToken(base, user) });
    assert.equal(result.body.reservationId, first.body.reservationId);
    assert.ok(['QUEUED', 'CREATED'].includes(String(result.body.status)));
  });

  it('issues purchase tokens only during the sale', async () => {
    const now = Date.now();
    const upcoming = await createActivity({ startAt: now + 3600 * SECOND, endAt: now + 7200 * SECOND });
    const ended = await createActivity({ startAt: now - 7200 * SECOND, endAt: now - 3600 * SECOND });
    const active = await createActivity();
    const token = (id: number) => call(`${seckill.url}/api/activities/${id}/token`, { method: 'POST', token: mintToken(base, 5) });

    const before = await token(upcoming.id);
    assert.equal(before.status, 409);
    assert.equal(before.body.code, 'NOT_STARTED');
    assert.equal(before.body.retryable, true);
    const late = await token(ended.id);
    assert.equal(late.status, 410);
    assert.equal(late.body.code, 'ENDED');
    const issued = await token(active.id);
    assert.equal(issued.status, 200);
    assert.equal(typeof issued.body.token, 'string');
    assert.equal(issued.body.expiresIn, base.PURCHASE_TOKEN_TTL_SECONDS);
    const bought = await purchase(seckill, active.id, 5, String(issued.body.token));
    assert.equal(bought.status, 202);
    const noAuth = await call(`${seckill.url}/api/activities/${active.id}/token`, { method: 'POST' });
    assert.equal(noAuth.status, 401);
    assert.equal(noAuth.body.code, 'UNAUTHENTICATED');
  });

  it('refuses purchases before the start and after the end without touching stock', async () => {
    const now = Date.now();
    const upcoming = await createActivity({ stock: 3, startAt: now + 3600 * SECOND, endAt: now + 7200 * SECOND });
    const ended = await createActivity({ stock: 3, startAt: now - 7200 * SECOND, endAt: now - 3600 * SECOND });
    await prewarm(upcoming.id);
    await prewarm(ended.id);
    const early = await purchase(seckill, upcoming.id, 8);
    assert.equal(early.status, 409);
    assert.equal(early.body.code, 'NOT_STARTED');
    const late = await purchase(seckill, ended.id, 8);
    assert.equal(late.status, 410);
    assert.equal(late.body.code, 'ENDED');
    assert.equal(await stock(upcoming.id), 3);
    assert.equal(await stock(ended.id), 3);
  });

  it('refuses forged, expired, other-user and other-activity tokens without touching stock', async () => {
    const activity = await createActivity({ stock: 3 });
    const other = await createActivity({ stock: 3 });
    const user = 31;
    const good = tokens.issue(activity.id, String(user), Date.now()).token;
    const cases = [
      good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA'),
      tokens.issue(activity.id, String(user), Date.now() - 3600 * SECOND).token,
      tokens.issue(activity.id, '32', Date.now()).token,
      tokens.issue(other.id, String(user), Date.now()).token,
      'not-a-token',
    ];
    for (const token of cases) {
      const response = await purchase(seckill, activity.id, user, token);
      assert.equal(response.status, 400, token);
      assert.equal(response.body.code, 'INVALID_SECKILL_TOKEN');
    }
    const missing = await call(`${seckill.url}/api/activities/${activity.id}/purchase`, { token: mintToken(base, user), body: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'VALIDATION_FAILED');
    // Bodies the fast path declines reach the controller, whose pipe answers with the details.
    for (const body of [{ token: good, extra: 1 }, { token: 42 }, { token: '' }, [good]]) {
      const bad = await call<{ code: string; details: unknown[] }>(`${seckill.url}/api/activities/${activity.id}/purchase`, {
        token: mintToken(base, user),
        body,
      });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.body.code, 'VALIDATION_FAILED');
      assert.ok(Array.isArray(bad.body.details) && bad.body.details.length > 0);
    }
    const anonymous = await call(`${seckill.url}/api/activities/${activity.id}/purchase`, { body: { token: good } });
    assert.equal(anonymous.status, 401);
    const badId = await call(`${seckill.url}/api/activities/0/purchase`, { token: mintToken(base, user), body: { token: good } });
    assert.equal(badId.status, 400);
    assert.equal(await stock(activity.id), 3);
    assert.equal(await stock(other.id), 3);
  });

  it("answers a retired activity's result and stock from MySQL, its keys gone from Redis", async () => {
    const now = Date.now();
    const activity = await createActivity({ stock: 4, startAt: now - 2 * 3600 * SECOND, endAt: now - 3600 * SECOND });
    // The sale as the order service left it: one order for user 901, then the activity retired (snapshot in MySQL).
    const orderId = 4_000_000n * 1024n + 901n;
    await seckill.app.get(OrderWriter, { strict: false }).write({
      id: orderId,
      reservationId: 'r-901',
      activityId: activity.id,
      userId: 901n,
      priceCents: 100,
      createdAt: new Date(now - 3600 * SECOND),
      expiresAt: new Date(now),
    });
    await seckill.app.get(ActivityRepository, { strict: false }).markRetired(activity.id, { remaining: 3, reserved: 1 }, new Date());
    await seckill.app.get(ActivityCache, { strict: false }).changed(activity.id);
    const result = (user: number) => call(`${seckill.url}/api/activities/${activity.id}/result`, { token: mintToken(base, user) });
    await waitFor(async () => (await result(901)).body.status === 'CREATED', 3000, 'the retired result');
    assert.deepEqual((await result(901)).body, { status: 'CREATED', reservationId: 'r-901', orderId: String(orderId) });
    assert.deepEqual((await result(902)).body, { status: 'NONE' });
    assert.equal(await stock(activity.id), 3);
    const view = await call<ActivityView>(`${seckill.url}/api/activities/${activity.id}`);
    assert.equal(view.body.status, 'ENDED');
  });

  it('answers unknown activity ids with 404 without a single MySQL query', async () => {
    await createActivity();
    // Let the bloom filter and its connection settle, then count.
    await call(`${seckill.url}/api/activities/999999`);
    const before = await selectsByUser();
    for (const id of [999999, 123456, 2147483000, 424242]) {
      for (const path of ['', '/stock']) {
        const response = await call(`${seckill.url}/api/activities/${id}${path}`);
        assert.equal(response.status, 404);
        assert.equal(response.body.code, 'NOT_FOUND');
      }
    }
    const bad = await call(`${seckill.url}/api/activities/abc`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'VALIDATION_FAILED');
    assert.equal(await selectsByUser(), before);
  });

  it('rebuilds an expired hot entry with one MySQL query under 200 concurrent reads on two instances', async () => {
    const activity = await createActivity();
    const second = await startTestApp('seckill', AppModule.register(seckillConfig), seckillConfig, configureSeckill);
    try {
      const redis = seckill.app.get<Redis>(REDIS, { strict: false });
      await call(`${seckill.url}/api/activities/${activity.id}`);
      // The shared entry expires (CATALOG_LOCAL_TTL_MS is 0 here, so every read asks Redis).
      await redis.del(`${base.REDIS_KEY_PREFIX}{a:${activity.id}}:catalog`);
      const before = await selectsByUser();
      // 200, not more: both instances and their clients share this process, and under a loaded machine 500 made the
      // rebuild outlast its 3 s lock, which then (by design: a stuck holder must not stall reads) let a second one in.
      const reads = await Promise.all(
        Array.from({ length: 200 }, (_, i) => call<ActivityView>(`${(i % 2 ? second : seckill).url}/api/activities/${activity.id}`)),
      );
      assert.ok(reads.every((r) => r.status === 200 && r.body.id === activity.id));
      assert.equal((await selectsByUser()) - before, 1);
    } finally {
      await second.close();
    }
  });

  it('tells a second instance of a sell-out, which it then answers without Redis', async () => {
    const activity = await createActivity({ stock: 1 });
    const config = Object.assign(new AppConfig(), seckillConfig, { CATALOG_LOCAL_TTL_MS: 60_000 });
    const second = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
    try {
      assert.equal((await call(`${second.url}/api/activities/${activity.id}`)).status, 200);
      assert.equal((await purchase(seckill, activity.id, 501)).status, 202);
      await new Promise((resolve) => setTimeout(resolve, SECOND));
      // Cut the second instance off Redis: its answer must come from memory.
      second.app.get<Redis>(REDIS, { strict: false }).disconnect();
      const answer = await purchase(second, activity.id, 502);
      assert.equal(answer.status, 410);
      assert.equal(answer.body.code, 'SOLD_OUT');
    } finally {
      await second.close();
    }
  });

  it('lifts the sold-out flag as soon as a unit comes back, announced or not', async () => {
    const activity = await createActivity({ stock: 1 });
    const first = await purchase(seckill, activity.id, 601);
    assert.equal(first.status, 202);
    assert.equal((await purchase(seckill, activity.id, 602)).body.code, 'SOLD_OUT');
    const stockService = seckill.app.get(StockService, { strict: false });
    // The order service cancels the order: release, then the announcement.
    assert.equal(await stockService.release(activity.id, 1, first.body.reservationId), true);
    await stockService.announceSoldOut(activity.id, false);
    await waitFor(async () => (await purchase(seckill, activity.id, 603)).status === 202, 3000, 'the announced unit');
    // Released without an announcement: the once-a-second check against Redis finds it.
    const holder = await call<{ reservationId: string }>(`${seckill.url}/api/activities/${activity.id}/result`, { token: mintToken(base, 603) });
    assert.equal((await purchase(seckill, activity.id, 604)).body.code, 'SOLD_OUT');
    assert.equal(await stockService.release(activity.id, 1, holder.body.reservationId), true);
    await waitFor(async () => (await purchase(seckill, activity.id, 605)).status === 202, 3000, 'the silent unit');
    // The released shoppers may buy again: nobody holds their unit any more.
    assert.equal((await purchase(seckill, activity.id, 601)).body.code, 'SOLD_OUT');
  });

  it('sheds purchases with 503 DEGRADED while purchaseShedPercent is 100, before any Redis call', async () => {
    const activity = await createActivity({ stock: 5 });
    const switches = seckill.app.get(SwitchesService, { strict: false });
    await switches.set('purchaseShedPercent', 100);
    try {
      const shed = await purchase(seckill, activity.id, 701);
      assert.equal(shed.status, 503);
      assert.equal(shed.body.code, 'DEGRADED');
      assert.ok(shed.headers.get('retry-after'));
      assert.equal(await stock(activity.id), 5);
    } finally {
      await switches.set('purchaseShedPercent', 0);
    }
    assert.equal((await purchase(seckill, activity.id, 701)).status, 202);
  });

  it('degrades the non-core reads by switch: catalog from its caches only, token issuance paused, result polling slowed', async () => {
    const switches = seckill.app.get(SwitchesService, { strict: false });
    const cachedActivity = await createActivity({ stock: 5 });
    await prewarm(cachedActivity.id);
    assert.equal((await call(`${seckill.url}/api/activities/${cachedActivity.id}`)).status, 200);
    assert.equal((await call(`${seckill.url}/api/activities`)).status, 200);
    const uncached = await createActivity({ stock: 5 });
    try {
      await switches.set('catalogCacheOnly', true);
      const selects = await selectsByUser();
      const fromCache = await call<ActivityView>(`${seckill.url}/api/activities/${cachedActivity.id}`);
      assert.equal(fromCache.status, 200);
      assert.equal(fromCache.body.remaining, 5);
      assert.equal((await call(`${seckill.url}/api/activities/${cachedActivity.id}/stock`)).status, 200);
      assert.equal((await call(`${seckill.url}/api/activities`)).status, 200, 'the last list, whatever its age');
      const miss = await call(`${seckill.url}/api/activities/${uncached.id}`);
      assert.equal(miss.status, 503);
      assert.equal(miss.body.code, 'DEGRADED');
      assert.ok(Number(miss.headers.get('retry-after')) >= 1);
      assert.equal((await call(`${seckill.url}/api/activities/999999`)).status, 404);
      assert.equal(await selectsByUser(), selects, 'no catalog read reached MySQL');

      await switches.set('tokenIssuance', false);
      const paused = await call(`${seckill.url}/api/activities/${cachedActivity.id}/token`, { method: 'POST', token: mintToken(base, 901) });
      assert.equal(paused.status, 503);
      assert.equal(paused.body.code, 'DEGRADED');
      assert.equal(paused.headers.get('retry-after'), '5');
      // The purchase is core: a shopper who holds a token still buys.
      assert.equal((await purchase(seckill, cachedActivity.id, 901)).status, 202);

      await switches.set('resultPollSeconds', 5);
      const result = () => call(`${seckill.url}/api/activities/${cachedActivity.id}/result`, { token: mintToken(base, 901) });
      assert.equal((await result()).status, 200);
      const tooSoon = await result();
      assert.equal(tooSoon.status, 503);
      assert.equal(tooSoon.body.code, 'DEGRADED');
      assert.ok(Number(tooSoon.headers.get('retry-after')) >= 1 && Number(tooSoon.headers.get('retry-after')) <= 5);
      const other = await call(`${seckill.url}/api/activities/${cachedActivity.id}/result`, { token: mintToken(base, 902) });
      assert.equal(other.status, 200, 'each shopper has an allowance of their own');
    } finally {
      await switches.set('catalogCacheOnly', false);
      await switches.set('tokenIssuance', true);
      await switches.set('resultPollSeconds', 0);
    }
    assert.equal((await call(`${seckill.url}/api/activities/${uncached.id}`)).status, 200);
    assert.equal((await call(`${seckill.url}/api/activities/${cachedActivity.id}/token`, { method: 'POST', token: mintToken(base, 903) })).status, 200);
    assert.equal((await call(`${seckill.url}/api/activities/${cachedActivity.id}/result`, { token: mintToken(base, 901) })).status, 200);
  });

  it('limits purchases per address with 429 and Retry-After, and counts outcomes in /metrics', async () => {
    const config = Object.assign(new AppConfig(), seckillConfig, { RATE_LIMIT_IP_ALLOWLIST: [], RATE_LIMIT_PER_IP_PER_SECOND: 2 });
    const limited = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
    try {
      const activity = await createActivity({ stock: 50 });
      const answers = [];
      for (let user = 800; user < 810; user++) answers.push(await purchase(limited, activity.id, user));
      const accepted = answers.filter((a) => a.status === 202).length;
      const refused = answers.filter((a) => a.status === 429);
      assert.ok(accepted >= 4 && accepted <= 5, `burst of 4 (+ refill) accepted, got ${accepted}`);
      assert.equal(accepted + refused.length, 10);
      assert.equal(refused[0].body.code, 'RATE_LIMITED');
      assert.ok(Number(refused[0].headers.get('retry-after')) >= 1);
      assert.equal(await stock(activity.id), 50 - accepted);
      const metrics = await (await fetch(`${limited.url}/metrics`)).text();
      assert.match(metrics, /seckill_purchases_total\{outcome="ACCEPTED"\} \d+/);
      assert.match(metrics, /seckill_purchases_total\{outcome="RATE_LIMITED"\} \d+/);
      assert.match(metrics, /seckill_reserve_seconds_count \d+/);
    } finally {
      await limited.close();
    }
  });
});
