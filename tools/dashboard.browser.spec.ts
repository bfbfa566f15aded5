import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { configureAdmin } from '@seckill/admin';
import { AppConfig } from '@seckill/platform';
import { call, createTestConfig, createTestDatabases, dropTestResources, mintToken, sleep, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { AppModule as AdminApp } from '../apps/admin/src/app.module';
import { AppModule as AuthApp } from '../apps/auth/src/app.module';
import { AppModule as OrderApp } from '../apps/order/src/app.module';
import { AppModule as SeckillApp } from '../apps/seckill/src/app.module';
import { configureSeckill } from '../apps/seckill/src/configure';

// An operator runs a sale from the dashboard alone, in Debian's Chromium driven by playwright-core: sign in, create an
// activity (its form refuses a bad one with the API's messages), prewarm it, watch the live counters while the test's
// shoppers buy through the seckill service, apply plan level 2 and see purchases answered DEGRADED, revert it, watch
// the sale sell out, reconcile, read the audit log and open the queue board. Each screen is saved under
// test-output/dashboard/ (git-ignored).

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(__dirname, '../../test-output/dashboard');
const STOCK = 30;

let config: AppConfig;
const apps: TestApp[] = [];
let admin: TestApp;
let seckill: TestApp;
let browser: Browser;
let page: Page;
/** Exceptions the dashboard threw (none expected). */
const pageErrors: string[] = [];
/** What the browser logged as errors, for diagnosis: requests refused on purpose (a wrong password, a bad form) log too. */
const consoleErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function buy(activityId: number, user: number): Promise<{ status: number; code?: string }> {
  const token = mintToken(config, user);
  const issued = await call<{ token: string; code?: string }>(`${seckill.url}/api/activities/${activityId}/token`, { method: 'POST', token });
  if (issued.status !== 200) return { status: issued.status, code: issued.body.code };
  const bought = await call<{ code?: string }>(`${seckill.url}/api/activities/${activityId}/purchase`, { token, body: { token: issued.body.token } });
  return { status: bought.status, code: bought.body.code };
}

const shoppers = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** A local date-time as a datetime-local input takes it (the browser and this process share the time zone). */
function localInput(ms: number): string {
  const date = new Date(ms);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  config = createTestConfig({
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
    SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    DATABASE_POOL_SIZE: '3',
  });
  await createTestDatabases(config);
  const auth = await startTestApp('auth', AuthApp.register(config), config);
  apps.push(auth);
  // The dashboard signs in through the admin service, which forwards the login to this auth service.
  const adminConfig = Object.assign(new AppConfig(), config, { AUTH_URL: auth.url });
  admin = await startTestApp('admin', AdminApp.register(adminConfig), adminConfig, configureAdmin);
  seckill = await startTestApp('seckill', SeckillApp.register(config), config, configureSeckill);
  apps.push(admin, seckill, await startTestApp('order', OrderApp.register(config), config));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // 800 px wide: the screenshots double as the README's pictures.
  page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
});

after(async () => {
  await browser?.close();
  await Promise.all(apps.map((app) => app.close()));
  await dropTestResources(config);
});

describe('the operations dashboard in a browser', () => {
  it('runs a sale from sign-in to a consistent reconciliation, through plan level 2 and the queue board', async () => {
    const landing = await page.goto(`${admin.url}/admin`);
    // The page the browser runs under its Content-Security-Policy (the end of this test checks nothing was blocked).
    assert.match((await landing?.allHeaders())?.['content-security-policy'] ?? '', /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    await page.getByRole('heading', { name: 'Operator sign-in' }).waitFor({ timeout: 10_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\npage errors: ${[...pageErrors, ...consoleErrors].join('\n')}`);
    });
    await page.fill('input[name=username]', config.ADMIN_USERNAME);
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    await page.locator('.error').waitFor();
    await shot('01-signin');
    await page.fill('input[name=password]', config.ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('header .who', { hasText: 'live' }).waitFor();

    // Create: a bad form first, answered with the API's messages next to the fields, then a good one.
    await page.click('a[href="#/activities"]');
    await page.click('button:has-text("New activity")');
    const form = page.locator('[data-testid=create-form]');
    await form.locator('input[name=title]').fill('Browser sale: headphones');
    await form.locator('input[name=priceCents]').fill('1999');
    await form.locator('input[name=stock]').fill('0');
    await form.locator('button[type=submit]').click();
    await form.locator('.problems', { hasText: 'stock' }).waitFor();
    await shot('02-create-validation');
    const startAt = Date.now() + 12_000;
    await form.locator('input[name=stock]').fill(String(STOCK));
    await form.locator('input[name=startAt]').fill(localInput(startAt));
    await form.locator('input[name=endAt]').fill(localInput(startAt + 3600_000));
    await form.locator('button[type=submit]').click();
    const created = await page.locator('[data-testid=message]', { hasText: 'created' }).textContent();
    const id = Number(/#(\d+)/.exec(created ?? '')?.[1]);
    assert.ok(id > 0, String(created));
    await page.locator(`[data-testid=activities] tr[data-activity="${id}"] button:has-text("Prewarm")`).click();
    await page.locator('[data-testid=message]', { hasText: `${STOCK} units in Redis` }).waitFor();
    await shot('03-activities');

    // The sale starts; the live view follows it over the one event stream.
    await page.click('a[href="#/live"]');
    const row = page.locator(`[data-testid=live-activities] tr[data-activity="${id}"]`);
    await row.waitFor();
    await sleep(Math.max(0, startAt - Date.now() + 100));
    const first = await Promise.all(shoppers(10_000, 12).map((user) => buy(id, user)));
    assert.equal(first.filter((a) => a.status === 202).length, 12);

    // Under pressure: plan level 2 sheds half the purchases with 503 DEGRADED.
    await page.click('a[href="#/controls"]');
    await page.locator('[data-plan=level2] button:has-text("Apply")').click();
    await page.locator('[data-plan=level2] .badge', { hasText: 'in force' }).waitFor();
    await shot('04-plans');
    const shed = await Promise.all(shoppers(11_000, 20).map((user) => buy(id, user)));
    const degraded = shed.filter((a) => a.code === 'DEGRADED').length;
    assert.ok(degraded > 0 && degraded < 20, `half shed, got ${degraded} of 20`);
    assert.ok(shed.every((a) => a.status === 202 || a.code === 'DEGRADED'), JSON.stringify(shed));
    await page.click('a[href="#/live"]');
    await page.locator('[data-testid=plan-banner]', { hasText: 'level2' }).waitFor();
    await page.locator('[data-testid=rejections] tr[data-code=DEGRADED]').waitFor();
    await shot('05-live-level2');
    await page.click('a[href="#/controls"]');
    await page.locator('[data-plan=level2] button:has-text("Revert")').click();
    await page.locator('[data-plan=level2] .badge').waitFor({ state: 'detached' });

    // The rest of the sale: the counters reach sold out, every unit an order.
    await page.click('a[href="#/live"]');
    const rest = await Promise.all(shoppers(12_000, 40).map((user) => buy(id, user)));
    assert.ok(rest.every((a) => a.status === 202 || a.code === 'SOLD_OUT'), JSON.stringify(rest.find((a) => a.status !== 202 && a.code !== 'SOLD_OUT')));
    await row.locator('[data-field=status]', { hasText: 'SOLD_OUT' }).waitFor({ timeout: 20_000 });
    await row.locator('[data-field=remaining]', { hasText: /^0$/ }).waitFor();
    await row.locator('[data-field=created]', { hasText: new RegExp(`^${STOCK}$`) }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    await shot('06-live-sold-out');

    await page.goto(`${admin.url}/admin/#/reconcile/${id}`);
    await page.locator('[data-testid=consistent]').waitFor();
    await waitFor(
      async () => {
        if ((await page.locator('[data-testid=consistent]').textContent()) === 'CONSISTENT') return true;
        await page.click('button:has-text("Run again")');
        return false;
      },
      20_000,
      'a consistent reconciliation',
      500,
    );
    await shot('07-reconciliation');

    await page.click('a[href="#/audit"]');
    await page.locator('[data-testid=audit] td', { hasText: 'plan.revert' }).first().waitFor();
    for (const action of ['activity.create', 'activity.prewarm', 'plan.apply']) {
      assert.ok(await page.locator('[data-testid=audit] td', { hasText: action }).count() > 0, action);
    }
    await shot('08-audit');

    await page.click('a[href="#/jobs"]');
    await page.locator('[data-testid=failed-jobs] td', { hasText: 'none' }).waitFor();

    // The queue board, authenticated by the session cookie the sign-in set.
    await page.goto(`${admin.url}/admin/queues`);
    await page.getByText('order-create').first().click({ timeout: 20_000 });
    await page.getByText(/completed/i).first().waitFor({ timeout: 20_000 });
    await shot('09-queue-board');
    assert.deepEqual(pageErrors, [], 'the dashboard threw no exception');
    assert.deepEqual(
      consoleErrors.filter((text) => /Content Security Policy/i.test(text)),
      [],
      'the dashboard\'s Content-Security-Policy blocked nothing it needs',
    );
  });
});
