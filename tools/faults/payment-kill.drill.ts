import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROVIDER_HEADERS, ProviderRequestRecord } from '@seckill/contracts';
import { waitFor } from '@seckill/testing';
import { DrillStack, PROVIDER_ADMIN_KEY } from './drill-stack';
import { drained, payOrders, request, Sale, seconds, verifyInvariants } from './sale-drill';

// The payment service is killed (SIGKILL) while shoppers are paying, with charges in flight at the provider (paysim
// answers after 400 ms), and restarted. A charge the provider made for the killed process is settled by the
// provider's notification, which paysim retries until the restarted service takes it; a shopper's retry with the same
// Idempotency-Key finds the same payment, and the provider charges each payment at most once (its key is the
// payment's). So every order is paid exactly once, and the ledger agrees.

describe('drill: SIGKILL of the payment service mid-payment', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({ name: 'payment SIGKILL', services: ['admin', 'order', 'seckill', 'paysim', 'payment'] });
  });

  after(async () => {
    await stack?.close();
  });

  it('pays every order exactly once after the payment service is killed with charges in flight and restarted', async () => {
    const sale = (await Sale.open(stack, { units: 40, shoppers: 120, arrivalsPerSecond: 60 })).start();
    await sale.finished();
    const orders = await drained(stack, sale);
    stack.log(`sale: activity ${sale.activityId}, ${orders.length} orders of ${sale.options.units} units (answers: ${sale.tally()})`);

    const faults = await request(`${stack.url('paysim')}/provider/faults`, {
      method: 'PUT',
      body: { latencyMs: 400 },
      headers: { [PROVIDER_HEADERS.adminKey]: PROVIDER_ADMIN_KEY },
    });
    assert.equal(faults.status, 200);
    const tally = new Map<string, number>();
    const paying = payOrders(stack, orders, { tally, timeoutMs: 120_000 });
    await waitFor(async () => (await stack.payments.countByActivity(sale.activityId)).succeeded >= 8, 60_000, 'the first payments');
    const killedAt = Date.now();
    const pid = await stack.kill('payment', 'SIGKILL');
    const atKill = await stack.payments.listByActivity(sale.activityId);
    const pending = atKill.filter((p) => p.status === 'PENDING').length;
    const succeeded = atKill.filter((p) => p.status === 'SUCCEEDED').length;
    stack.log(`broke: SIGKILL payment (pid ${pid}) with ${succeeded} payments SUCCEEDED and ${pending} PENDING (charges in flight at the provider, 400 ms each)`);

    await stack.startService('payment');
    stack.log(`restarted payment: ready ${seconds(killedAt)} after the kill`);
    await paying;
    const answers = [...tally].map(([key, n]) => `${key} ×${n}`).join(', ');
    stack.log(`shoppers' pay answers (retried with the same Idempotency-Key): ${answers}`);

    const log = await request<{ items: ProviderRequestRecord[] }>(`${stack.url('paysim')}/provider/requests?since=0`, {
      headers: { [PROVIDER_HEADERS.adminKey]: PROVIDER_ADMIN_KEY },
    });
    const chargeRequests = log.body.items.filter((entry) => entry.method === 'POST' && entry.path === '/provider/charges').length;
    const ledger = await request<{ items: unknown[] }>(`${stack.url('paysim')}/provider/charges`);
    assert.equal(ledger.body.items.length, orders.length, 'one charge per order in the ledger');
    stack.log(`provider: ${chargeRequests} charge requests made ${ledger.body.items.length} charges (one per order: a retry replays its payment's key)`);
    await verifyInvariants(stack, sale);
  });
});
