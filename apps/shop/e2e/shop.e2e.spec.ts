import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, chromium, Page } from 'playwright-core';
import { ActivityView, ServiceName } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { call, configToEnv, createTestConfig, createTestDatabases, dropTestResources, freePort, mintToken, sleep } from '@seckill/testing';

// The shop page in Debian's Chromium against the real services, run as `npm start` runs them (separate processes;
// the page on seckill logs in at auth on another port): the countdown by the server's clock and a dead button before
// the start, the click throttle, and a purchase through the waiting room and the proof-of-work to an order.
// Screenshots go to test-output/ (git-ignored).

const SCREENSHOTS = resolve(__dirname, '../../../../test-output');
const CHROMIUM = '/usr/bin/chromium';

let config: AppConfig;
let browser: Browser;
const children: ChildProcess[] = [];
const services: ServiceName[] = ['auth', 'seckill', 'order', 'admin'];
const base = (service: ServiceName) =>
  `http://127.0.0.1:${{ auth: config.AUTH_PORT, seckill: config.SECKILL_PORT, order: config.ORDER_PORT, admin: config.ADMIN_PORT, payment: 0, paysim: 0 }[service]}`;

async function startService(name: ServiceName): Promise<void> {
  const child = spawn(process.execPath, [join(__dirname, `../../${name}/src/main.js`)], {
    env: { ...process.env, ...configToEnv(config) },
    stdio: 'ignore',
  });
  children.push(child);
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${base(name)}/health/ready`).catch(() => undefined))?.ok) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`${name} did not become ready`);
    await sleep(200);
  }
}

async function createActivity(body: Record<string, unknown>): Promise<ActivityView> {
  const created = await call<ActivityView>(`${base('admin')}/api/admin/activities`, { token: mintToken(config, 1, 'admin'), body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

const card = (page: Page, id: number) => page.locator(`[data-id="${id}"]`);
/** Screenshots of the header and the two cards only: small enough for the README. */
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, name), clip: { x: 0, y: 0, width: 744, height: 460 } });

before(async () => {
  const ports = { AUTH_PORT: await freePort(), SECKILL_PORT: await freePort(), ORDER_PORT: await freePort(), ADMIN_PORT: await freePort() };
  config = createTestConfig({
    AUTH_PORT: String(ports.AUTH_PORT),
    SECKILL_PORT: String(ports.SECKILL_PORT),
    ORDER_PORT: String(ports.ORDER_PORT),
    ADMIN_PORT: String(ports.ADMIN_PORT),
    SHOP_AUTH_URL: `http://127.0.0.1:${ports.AUTH_PORT}`,
    CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${ports.SECKILL_PORT}`,
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1',
    WAITING_ROOM_INLET_MS: '100',
    // Four processes on a MariaDB other test runs share: a few connections each are plenty here.
    DATABASE_POOL_SIZE: '2',
  });
  await createTestDatabases(config);
  await Promise.all(services.map((name) => startService(name)));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await Promise.all(
    children.map((child) => new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    })),
  );
  await dropTestResources(config);
});

describe('the shop page', () => {
  it('counts down, throttles clicks, and buys through the waiting room and the challenge', async () => {
    const now = Date.now();
    // Full: its one participant place is taken, so a click answers at once (410 FULL) and the next one is throttled.
    const full = await createActivity({
      title: 'Headphones (cap reached)', priceCents: 1999, originalPriceCents: 4999, stock: 10, maxParticipants: 1,
      startAt: new Date(now - 60_000).toISOString(), endAt: new Date(now + 3600_000).toISOString(),
    });
    assert.equal((await call(`${base('seckill')}/api/activities/${full.id}/token`, { method: 'POST', token: mintToken(config, 999_001) })).status, 200);
    const startAt = now + 16_000;
    const sale = await createActivity({
      title: 'Mechanical keyboard', description: 'Waiting room and proof-of-work on', priceCents: 3999, originalPriceCents: 9999,
      stock: 5, waitingRoom: { enabled: true, admitPerSecond: 2 }, challengeDifficulty: 20_000,
      startAt: new Date(startAt).toISOString(), endAt: new Date(now + 3600_000).toISOString(),
    });
    // Six shoppers queue before the page's shopper, so the page shows its place moving up.
    for (let user = 1; user <= 6; user++) {
      const joined = await call<{ position: number }>(`${base('seckill')}/api/activities/${sale.id}/queue`, { method: 'POST', token: mintToken(config, 999_100 + user) });
      assert.equal(joined.body.position, user);
    }

    const page = await browser.newPage({ viewport: { width: 1100, height: 720 }, locale: 'zh-CN' });
    const sent: string[] = [];
    page.on('request', (request) => sent.push(`${request.method()} ${new URL(request.url()).pathname}`));
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // A resource the page's Content-Security-Policy blocks (a script, the solver's worker, a call) is a problem too.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    await page.goto(`${base('seckill')}/shop/`);

    // Sign up and log in at the auth service (another origin, allowed by CORS).
    await page.fill('[name=username]', `shopper${Date.now() % 1_000_000}`);
    await page.fill('[name=password]', 'correct-horse-battery');
    await page.click('#register');
    await page.waitForSelector('#logout').catch(async (error: Error) => {
      assert.fail(`not logged in: "${await page.locator('.auth-message').innerText().catch(() => '')}" (${error.message.split('\n')[0]})`);
    });

    // Before the start: a countdown by the server's clock and a dead button.
    const upcoming = card(page, sale.id);
    await upcoming.locator('.countdown').filter({ hasText: '距开始' }).waitFor();
    assert.match(await upcoming.locator('.countdown').innerText(), /^距开始 00:00:\d\d$/);
    assert.equal(await upcoming.locator('.buy').isDisabled(), true);
    assert.equal(await upcoming.locator('.buy').innerText(), '未开始');
    await shot(page, 'shop-countdown.png');

    // A click answered at once, then a second one within clickThrottleMs: it sends nothing.
    const capped = card(page, full.id);
    await capped.locator('.buy').click();
    await capped.locator('.message').filter({ hasText: '参与人数已满' }).waitFor();
    const tokenCalls = () => sent.filter((line) => line === `POST /api/activities/${full.id}/token`).length;
    assert.equal(tokenCalls(), 1);
    await capped.locator('.buy').click();
    await capped.locator('.message').filter({ hasText: '点得太快了' }).waitFor();
    await sleep(500);
    assert.equal(tokenCalls(), 1, 'the throttled click sent nothing');

    // At the start the button goes live (and no earlier by the server's clock).
    await upcoming.locator('.buy:not([disabled])').waitFor({ timeout: 30_000 });
    assert.ok(Date.now() >= startAt - 1000, `live ${startAt - Date.now()} ms before the start`);
    assert.equal(await upcoming.locator('.buy').innerText(), '立即抢购');

    // Through the waiting room: the page shows its place, and the number admitted moves.
    await upcoming.locator('.buy').click();
    await upcoming.locator('.message').filter({ hasText: '您是第 7 位' }).waitFor();
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const text = await upcoming.locator('.message').innerText();
      const served = /已放行到第 (\d+) 位/.exec(text);
      if (served) seen.add(served[1]);
      if (seen.size === 2) await shot(page, 'shop-waiting-room.png');
      if (!served && seen.size > 0) break;
      await sleep(150);
    }
    assert.ok(seen.size >= 2, `the admitted count moved: ${[...seen].join(', ')}`);
    assert.equal(await upcoming.getAttribute('data-position'), '7');

    // The challenge is solved in a worker, the token issued, the unit bought and the order shown.
    await upcoming.locator('.message').filter({ hasText: '下单成功' }).waitFor({ timeout: 60_000 });
    const orderId = await upcoming.getAttribute('data-order-id');
    assert.match(orderId ?? '', /^\d+$/);
    assert.ok(sent.some((line) => /^GET \/shop\/assets\/solver\.worker-[A-Z0-9]+\.js$/.test(line)), 'the solver ran in a worker');
    assert.ok(sent.includes(`GET /api/activities/${sale.id}/challenge`));
    assert.equal(sent.filter((line) => line === `POST /api/activities/${sale.id}/purchase`).length, 1);
    // Evaluated in the page, where sessionStorage exists (this file is compiled without the DOM's types).
    const stored = await page.evaluate('sessionStorage.getItem("session")');
    const session = JSON.parse(typeof stored === 'string' ? stored : '{}') as { accessToken: string };
    const order = await call<{ status: string; activityId: number }>(`${base('order')}/api/orders/${orderId}`, { token: session.accessToken });
    assert.deepEqual([order.status, order.body.status, order.body.activityId], [200, 'PENDING_PAYMENT', sale.id]);
    await shot(page, 'shop.png');

    // English too.
    await page.click('#lang');
    assert.equal(await upcoming.locator('.buy').innerText(), 'Buy now');
    await shot(page, 'shop-en.png');
    assert.deepEqual(problems, []);
  });

  it('takes a sale the server lists as started for started, while its clock estimate still reads before the start', async () => {
    // The estimate of the server's clock is a few ms off on any page (half a round trip); here it is made a minute
    // behind, by taking a minute off the serverTime the page learns it from. The server lists the sale ACTIVE: the
    // button is live and says so, and the countdown is to the end, not to a start that has passed.
    const now = Date.now();
    const started = await createActivity({
      title: 'Started by the server clock', priceCents: 100, stock: 3,
      startAt: new Date(now - 20_000).toISOString(), endAt: new Date(now + 3600_000).toISOString(),
    });
    const page = await browser.newPage({ viewport: { width: 1100, height: 720 }, locale: 'zh-CN' });
    await page.route('**/api/client-config', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { serverTime: number };
      await route.fulfill({ response, json: { ...body, serverTime: body.serverTime - 60_000 } });
    });
    await page.goto(`${base('seckill')}/shop/`);
    await page.locator('#clock').filter({ hasText: /browser -(59|60)\d{3} ms/ }).waitFor();
    await page.fill('[name=username]', `early${Date.now() % 1_000_000}`);
    await page.fill('[name=password]', 'correct-horse-battery');
    await page.click('#register');
    await page.waitForSelector('#logout');
    const sale = card(page, started.id);
    await sale.locator('.buy:not([disabled])').waitFor();
    await sleep(600); // two ticks more: what they render stays
    assert.deepEqual(
      [await sale.locator('.buy').isDisabled(), await sale.locator('.buy').innerText(), await sale.locator('.status').getAttribute('data-status')],
      [false, '立即抢购', 'ACTIVE'],
    );
    assert.match(await sale.locator('.countdown').innerText(), /^距结束 01:00:\d\d$/);
    await page.close();
  });

  it('serves hashed assets for a year and the page for revalidation', async () => {
    const page = await fetch(`${base('seckill')}/shop/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /script-src 'self'(;|$)/, 'no inline script allowed');
    assert.match(policy, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    const asset = /src="(assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const script = await fetch(`${base('seckill')}/shop/${asset}`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const redirect = await fetch(`${base('seckill')}/shop`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
  });
});
