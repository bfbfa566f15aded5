import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@seckill/testing';
import { DrillStack } from './drill-stack';
import { allOrders, Sale, seconds, verifyInvariants } from './sale-drill';

// The order service is killed (SIGKILL) in the middle of its drain, with a batch in its hands, and restarted. The
// drain is slowed to 20 orders a second so that the kill lands with part of the sale written and part not; the
// killed worker's batch is taken over once its lock expires (ORDER_JOB_LOCK_MS, 5 s here), and its inserts,
// keyed on the reservation, find the rows it had written.

describe('drill: SIGKILL of the order service mid-drain', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({
      name: 'order SIGKILL',
      services: ['admin', 'order', 'seckill'],
      env: { ORDER_DRAIN_RATE_PER_SECOND: '20', ORDER_JOB_LOCK_MS: '5000' },
    });
  });

  after(async () => {
    await stack?.close();
  });

  it('turns every 202 into one order after the order service is killed mid-drain and restarted', async () => {
    const sale = (await Sale.open(stack, { units: 80, shoppers: 300, arrivalsPerSecond: 60 })).start();
    stack.log(`sale: activity ${sale.activityId}, ${sale.options.units} units, ${sale.options.shoppers} shoppers at ${sale.options.arrivalsPerSecond}/s; drain 20 orders/s`);
    await waitFor(async () => (await allOrders(stack, sale)).length >= 15, 60_000, 'the drain to start');
    const killedAt = Date.now();
    const pid = await stack.kill('order', 'SIGKILL');
    const atKill = (await allOrders(stack, sale)).length;
    const active = (await stack.orderCreateQueue.getJobCounts('active')).active;
    stack.log(`broke: SIGKILL order (pid ${pid}) with ${atKill} orders written, ${sale.accepted.size} units sold, ${active} batch(es) active in the killed worker`);
    assert.ok(atKill < sale.options.units, `the kill came after the drain (${atKill} orders)`);

    await sale.finished();
    const ordersWhileDown = (await allOrders(stack, sale)).length;
    stack.log(`while order was down: the sale went on (${sale.accepted.size} units sold, answers: ${sale.tally()}); orders stayed at ${ordersWhileDown}`);
    await stack.startService('order');
    stack.log(`restarted order: ready ${seconds(killedAt)} after the kill`);
    await verifyInvariants(stack, sale);
  });
});
