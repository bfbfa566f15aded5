import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROVIDER_HEADERS, ProviderRequestRecord } from '@seckill/contracts';
import { mintToken, sleep } from '@seckill/testing';
import { DrillStack, PROVIDER_ADMIN_KEY } from './drill-stack';
import { drained, payOrders, request, Sale, verifyInvariants } from './sale-drill';

// The payment provider goes down (paysim's `down` fault: 503 to everything) after the first orders are paid, and
// comes back 15 s later. Meanwhile every pay request must answer 503 PAYMENT_UNAVAILABLE with Retry-After at once,
// sooner than a provider call's timeout (first the provider's own refusal, then the open breaker without calling it),
// and every order must stay payable;
// once the provider is back, the same shoppers pay and every order is paid exactly once.

/** A breaker that opens quickly for a drill: judged on the last 10 calls from 5 on, open for 3 s. */
const BREAKER = {
  PAYMENT_BREAKER_WINDOW_TYPE: 'count',
  PAYMENT_BREAKER_WINDOW_SIZE: '10',
  PAYMENT_BREAKER_MIN_CALLS: '5',
  PAYMENT_BREAKER_OPEN_MS: '3000',
  PAYMENT_BREAKER_HALF_OPEN_PROBES: '2',
};
const OUTAGE_MS = 15_000;

describe('drill: the payment provider down, then back', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({ name: 'provider down', services: ['admin', 'order', 'seckill', 'paysim', 'payment'], env: BREAKER });
  });

  after(async () => {
    await stack?.close();
  });

  const setFaults = (faults: Record<string, unknown>) =>
    request(`${stack.url('paysim')}/provider/faults`, { method: 'PUT', body: faults, headers: { [PROVIDER_HEADERS.adminKey]: PROVIDER_ADMIN_KEY } });

  it('answers 503 PAYMENT_UNAVAILABLE fast while the provider is down, keeps orders payable, and pays them once it is back', async () => {
    const sale = (await Sale.open(stack, { units: 40, shoppers: 120, arrivalsPerSecond: 60 })).start();
    await sale.finished();
    const orders = await drained(stack, sale);
    const [before, during] = [orders.slice(0, 10), orders.slice(10)];
    await payOrders(stack, before);
    stack.log(`sale: activity ${sale.activityId}, ${orders.length} orders; ${before.length} paid before the outage`);

    assert.equal((await setFaults({ down: true })).status, 200);
    const downAt = Date.now();
    stack.log(`broke: the provider is down (paysim answers 503 to every charge) for ${OUTAGE_MS / 1000} s`);
    const answers = new Map<string, number>();
    const took: number[] = [];
    let rounds = 0;
    // Shoppers keep trying to pay through the outage, each attempt timed.
    while (Date.now() - downAt < OUTAGE_MS - 2000) {
      await Promise.all(
        during.map(async (order) => {
          const started = Date.now();
          const answer = await request(`${stack.url('payment')}/api/payments`, {
            token: mintToken(stack.config, String(order.user_id)),
            body: { orderId: String(order.id) },
            headers: { 'idempotency-key': `drill-${order.id}` },
          });
          took.push(Date.now() - started);
          const key = `${answer.status} ${String(answer.body.code ?? answer.body.status)}${answer.headers.get('retry-after') ? ' (Retry-After)' : ''}`;
          answers.set(key, (answers.get(key) ?? 0) + 1);
        }),
      );
      rounds++;
      await sleep(1000);
    }
    const tally = [...answers].map(([key, n]) => `${key} ×${n}`).join(', ');
    took.sort((a, b) => a - b);
    const [median, slowest] = [took[Math.floor(took.length / 2)], took[took.length - 1]];
    stack.log(`during the outage: ${rounds} rounds of ${during.length} concurrent pay requests answered ${tally}; median ${median} ms, slowest ${slowest} ms`);
    assert.deepEqual([...answers.keys()], ['503 PAYMENT_UNAVAILABLE (Retry-After)'], 'every pay request during the outage');
    // Fast: no shopper waited for a provider call's timeout (the measure of "fast" that does not depend on how busy
    // the machine is; the times are printed above).
    const timeout = stack.config.PAYMENT_PROVIDER_TIMEOUT_MS;
    assert.ok(slowest < timeout, `a pay request took ${slowest} ms during the outage, the provider timeout is ${timeout} ms`);

    const log = await request<{ items: ProviderRequestRecord[] }>(`${stack.url('paysim')}/provider/requests?since=${downAt}`, {
      headers: { [PROVIDER_HEADERS.adminKey]: PROVIDER_ADMIN_KEY },
    });
    const reached = log.body.items.filter((entry) => entry.method === 'POST' && entry.path === '/provider/charges').length;
    const attempts = [...answers.values()].reduce((sum, n) => sum + n, 0);
    stack.log(`the breaker kept ${attempts - reached} of ${attempts} attempts away from the provider (${reached} reached it)`);
    assert.ok(reached < attempts, 'the open breaker answered without calling the provider');

    const stillPayable = (await stack.orders.listByActivity(sale.activityId, ['PENDING_PAYMENT'])).length;
    assert.equal(stillPayable, during.length, 'orders not paid during the outage stay PENDING_PAYMENT');
    stack.log(`verified: all ${stillPayable} unpaid orders stayed PENDING_PAYMENT (payable until their expiry, an hour away)`);

    await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
    assert.equal((await setFaults({})).status, 200);
    const backAt = Date.now();
    stack.log('repaired: the provider is back');
    const after = new Map<string, number>();
    await payOrders(stack, during, { tally: after, timeoutMs: 60_000 });
    stack.log(`after the outage: all ${during.length} paid within ${((Date.now() - backAt) / 1000).toFixed(1)} s (answers: ${[...after].map(([k, n]) => `${k} ×${n}`).join(', ')})`);
    await verifyInvariants(stack, sale);
  });
});
