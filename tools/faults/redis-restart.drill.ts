import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QUEUES } from '@seckill/contracts';
import { bullConnection } from '@seckill/platform';
import { sleep, waitFor } from '@seckill/testing';
import { Queue } from 'bullmq';
import { DrillStack } from './drill-stack';
import { adminToken, allOrders, request, Sale, seconds, verifyInvariants } from './sale-drill';

// Redis killed (SIGKILL: a crash, nothing flushed on the way out) in the middle of a sale and started again on the
// same port and directory, with persistence on: appendonly yes, appendfsync always, so every write is on disk
// before Redis answers it. What any client was told before the crash must be there after it: every reservation a
// shopper got a 202 for (holder, record), the stock (never more than before: a unit that came back would be sold
// twice), the queues' jobs (order-create batches waiting on the slow drain, the delayed payment timeouts), and the
// switches an operator set.

const DOWN_MS = 3000;

describe('drill: Redis restarted with AOF persistence (appendfsync always)', () => {
  let stack: DrillStack;
  let timeouts: Queue;

  before(async () => {
    stack = await DrillStack.start({
      name: 'Redis restart (AOF)',
      services: ['admin', 'order', 'seckill'],
      redis: { appendFsync: 'always' },
      env: { ORDER_DRAIN_RATE_PER_SECOND: '25' },
    });
    timeouts = new Queue(QUEUES.orderTimeout, { connection: bullConnection(stack.config), prefix: stack.keys.bullPrefix });
    timeouts.on('error', () => undefined);
  });

  after(async () => {
    await timeouts?.close().catch(() => undefined);
    await stack?.close();
  });

  it('keeps stock, reservations, queued and delayed jobs and switches across a crash and restart', async () => {
    const switched = await request(`${stack.url('admin')}/api/admin/switches/clientDropPercent`, { method: 'PUT', token: adminToken(stack), body: { value: 7 } });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    const sale = (await Sale.open(stack, { units: 150, shoppers: 300, arrivalsPerSecond: 25 })).start();
    const keys = stack.stock.keysFor(sale.activityId, 2);
    stack.log(`sale: activity ${sale.activityId}, ${sale.options.units} units, ${sale.options.shoppers} shoppers at ${sale.options.arrivalsPerSecond}/s; drain 25 orders/s; switch clientDropPercent = 7`);
    await sale.untilAccepted(30);
    await waitFor(async () => (await allOrders(stack, sale)).length >= 5, 30_000, 'the first orders');

    // What clients were told before the crash: read just before it, so the crash can only have added to it.
    const promised = [...sale.accepted.values()];
    const remainingBefore = (await stack.stock.remaining(sale.activityId, 2)) ?? -1;
    const createJobs = await stack.orderCreateQueue.getJobCounts('waiting', 'active', 'delayed', 'completed');
    const timeoutJobs = (await timeouts.getJobCounts('delayed')).delayed;
    await stack.redisServer.kill();
    const killedAt = Date.now();
    stack.log(
      `broke: SIGKILL redis-server with ${promised.length} 202s given, ${remainingBefore} units left, order-create jobs ` +
        `${JSON.stringify(createJobs)}, ${timeoutJobs} delayed payment-timeout jobs; down for ${DOWN_MS / 1000} s`,
    );
    await sleep(DOWN_MS);
    await stack.redisServer.start();
    stack.log(`restarted redis-server from its append-only file ${seconds(killedAt)} after the crash`);

    const records = promised.length > 0 ? await stack.redis.hmget(keys.reservations, ...promised.map((p) => p.reservationId)) : [];
    const missing = promised.filter((_, i) => records[i] === null);
    assert.deepEqual(missing.map((p) => p.reservationId), [], 'reservations lost by the restart');
    const holders = await stack.redis.hmget(keys.holders, ...promised.map((p) => String(p.user)));
    assert.ok(holders.every((h, i) => h === promised[i].reservationId), 'holders lost by the restart');
    const remainingAfter = (await stack.stock.remaining(sale.activityId, 2)) ?? -1;
    assert.ok(remainingAfter >= 0 && remainingAfter <= remainingBefore, `stock came back: ${remainingBefore} before, ${remainingAfter} after`);
    const createAfter = await stack.orderCreateQueue.getJobCounts('waiting', 'active', 'delayed', 'completed');
    const jobsBefore = Object.values(createJobs).reduce((a, b) => a + b, 0);
    const jobsAfter = Object.values(createAfter).reduce((a, b) => a + b, 0);
    assert.ok(jobsAfter >= jobsBefore, `order-create jobs lost: ${jobsBefore} before, ${jobsAfter} after`);
    const timeoutsAfter = (await timeouts.getJobCounts('delayed')).delayed;
    assert.ok(timeoutsAfter >= timeoutJobs, `delayed timeout jobs lost: ${timeoutJobs} before, ${timeoutsAfter} after`);
    const switches = await request<Record<string, unknown>>(`${stack.url('admin')}/api/admin/switches`, { token: adminToken(stack) });
    assert.equal(switches.body.clientDropPercent, 7, 'the switch survived');
    stack.log(
      `verified: survived the crash: all ${promised.length} reservations and holders, stock ${remainingAfter} ≤ ${remainingBefore}, ` +
        `order-create jobs ${jobsAfter} ≥ ${jobsBefore}, delayed timeouts ${timeoutsAfter} ≥ ${timeoutJobs}, clientDropPercent still 7`,
    );

    await sale.finished();
    stack.log(`shoppers' answers: ${sale.tally()}; gave up: ${sale.gaveUp.length}`);
    await verifyInvariants(stack, sale);
  });
});
