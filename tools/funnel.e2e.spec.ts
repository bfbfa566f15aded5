import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActivityView, ReservationResult, ServiceName } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { call, configToEnv, createTestConfig, createTestDatabases, dropTestResources, freePort, mintToken, sleep } from '@seckill/testing';

// The whole funnel with the real services as separate processes, as `npm start` runs them: admin creates the sale,
// shoppers get tokens and buy on seckill, the relay hands reservations to BullMQ, the order service writes them
// to the shards, and every 202 ends as an order the shopper can read; admin's reconciliation agrees.


let config: AppConfig;
const children: ChildProcess[] = [];
const url = (service: 'seckill' | 'order' | 'admin') =>
  `http://127.0.0.1:${{ seckill: config.SECKILL_PORT, order: config.ORDER_PORT, admin: config.ADMIN_PORT }[service]}`;

async function startService(name: ServiceName, base: string): Promise<void> {
  const child = spawn(process.execPath, [join(__dirname, `../apps/${name}/src/main.js`)], {
    env: { ...process.env, ...configToEnv(config) },
    stdio: 'ignore',
  });
  children.push(child);
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${base}/health/ready`).catch(() => undefined))?.ok) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`${name} did not become ready`);
    await sleep(200);
  }
}

before(async () => {
  config = createTestConfig({
    SECKILL_PORT: String(await freePort()),
    ORDER_PORT: String(await freePort()),
    ADMIN_PORT: String(await freePort()),
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1',
    ORDER_SWEEP_INTERVAL_MS: '1000',
    ORDER_SWEEP_AFTER_MS: '5000',
  });
  await createTestDatabases(config);
  await Promise.all([startService('admin', url('admin')), startService('seckill', url('seckill')), startService('order', url('order'))]);
});

after(async () => {
  await Promise.all(
    children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    })),
  );
  await dropTestResources(config);
});

describe('the funnel, end to end', () => {
  it('turns every 202 of a sale of 100 units among 300 shoppers into exactly one order', async () => {
    const admin = mintToken(config, 1, 'admin');
    const now = Date.now();
    // Four seconds ahead: time enough for the create and the early call below on a busy machine (at 1.5 s, a CI run
    // under load made the early call after the start).
    const startAt = now + 4000;
    const created = await call<ActivityView>(`${url('admin')}/api/admin/activities`, {
      token: admin,
      body: { title: 'Funnel', priceCents: 2500, stock: 100, stockShards: 2, startAt: new Date(startAt).toISOString(), endAt: new Date(now + 3600_000).toISOString() },
    });
    assert.equal(created.status, 201);
    const id = created.body.id;
    // The admin service prewarms it ahead of the start; before the start no token is issued.
    const early = await call(`${url('seckill')}/api/activities/${id}/token`, { method: 'POST', token: mintToken(config, 2000) });
    assert.ok(Date.now() < startAt, 'the early call came after the start: the machine is too slow for this check');
    assert.equal(early.body.code, 'NOT_STARTED');
    await sleep(Math.max(0, startAt + 100 - Date.now()));

    const shoppers = Array.from({ length: 300 }, (_, i) => 2000 + i);
    const answers = await Promise.all(
      shoppers.map(async (user) => {
        const token = mintToken(config, user);
        const issued = await call<{ token: string }>(`${url('seckill')}/api/activities/${id}/token`, { method: 'POST', token });
        if (issued.status !== 200) return { user, status: issued.status, code: String((issued.body as unknown as { code: string }).code) };
        const bought = await call<{ reservationId: string; code?: string }>(`${url('seckill')}/api/activities/${id}/purchase`, {
          token,
          body: { token: issued.body.token },
        });
        return { user, status: bought.status, code: bought.body.code ?? '', reservationId: bought.body.reservationId };
      }),
    );
    const winners = answers.filter((answer) => answer.status === 202);
    assert.equal(winners.length, 100);
    assert.ok(answers.every((a) => a.status === 202 || a.code === 'SOLD_OUT'), JSON.stringify(answers.find((a) => a.status !== 202 && a.code !== 'SOLD_OUT')));

    // Every 202 becomes an order, visible to its shopper.
    const deadline = Date.now() + 60_000;
    for (const winner of winners) {
      const token = mintToken(config, winner.user);
      let result: ReservationResult;
      for (;;) {
        result = (await call<ReservationResult>(`${url('seckill')}/api/activities/${id}/result`, { token })).body;
        if (result.status === 'CREATED' || Date.now() > deadline) break;
        await sleep(200);
      }
      assert.equal(result.status, 'CREATED', `user ${winner.user}`);
      assert.equal(result.reservationId, winner.reservationId);
      const order = await call<Record<string, unknown>>(`${url('order')}/api/orders/${result.orderId}`, { token });
      assert.equal(order.status, 200);
      assert.equal(order.body.priceCents, 2500);
      assert.equal(order.body.status, 'PENDING_PAYMENT');
    }
    const loser = answers.find((answer) => answer.status !== 202);
    if (loser) {
      const none = await call<ReservationResult>(`${url('seckill')}/api/activities/${id}/result`, { token: mintToken(config, loser.user) });
      assert.deepEqual(none.body, { status: 'NONE' });
    }

    const reconciliation = await call<Record<string, unknown>>(`${url('admin')}/api/admin/reconciliation?activityId=${id}`, { token: admin });
    assert.equal(reconciliation.body.consistent, true, JSON.stringify(reconciliation.body));
    assert.deepEqual(reconciliation.body.orders, { pendingPayment: 100, paid: 0, cancelled: 0 });
    assert.equal(reconciliation.body.remaining, 0);
  });
});
