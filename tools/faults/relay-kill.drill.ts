import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep, waitFor } from '@seckill/testing';
import { DrillStack } from './drill-stack';
import { drained, Sale, seconds, verifyInvariants } from './sale-drill';

// The relay (it runs in the seckill process) killed mid-batch: between reading stream entries (XREADGROUP puts them in
// its consumer's pending list) and acknowledging them once BullMQ has their jobs. The drill watches the stream's
// pending list; the moment it holds entries, it freezes the seckill process (SIGSTOP: it can acknowledge nothing
// more), checks 200 ms later that the entries are still pending, i.e. read and never acknowledged, and kills it
// (SIGKILL); if the acknowledgement won the race, it thaws the process and tries again. The restarted seckill's relay
// claims the dead consumer's entries once they have idled 15 s and hands them on; the sweeper is held off (it only
// looks at reservations older than 5 minutes here), so the claim alone must deliver them.

type PendingEntry = [id: string, consumer: string, idleMs: number, deliveries: number];

describe('drill: SIGKILL of the relay mid-batch', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({
      name: 'relay SIGKILL',
      services: ['admin', 'order', 'seckill'],
      env: { ORDER_SWEEP_AFTER_MS: '300000' },
    });
  });

  after(async () => {
    await stack?.close();
  });

  it('hands on the entries the killed relay had read but not acknowledged, and every 202 becomes one order', async () => {
    const sales: Sale[] = [];
    let caught: PendingEntry[] = [];
    let sale: Sale | undefined;
    // The window between read and acknowledgement is a few milliseconds a batch: a sale may sell out before the drill
    // catches one open. Then it opens another sale, up to three.
    while (caught.length === 0) {
      assert.ok(sales.length < 3, 'the relay was never caught holding a batch in three sales');
      sale = (await Sale.open(stack, { units: 200, shoppers: 500, arrivalsPerSecond: 200 })).start();
      sales.push(sale);
      stack.log(`sale: activity ${sale.activityId}, ${sale.options.units} units, ${sale.options.shoppers} shoppers at ${sale.options.arrivalsPerSecond}/s`);
      caught = await catchMidBatch(stack, sale);
      if (caught.length === 0) {
        await sale.finished();
        stack.log(`sale ${sale.activityId} sold out before the relay was caught holding a batch: another sale`);
      }
    }
    assert.ok(sale);
    const stream = stack.stock.keysFor(sale.activityId, 1).stream;
    const pid = await stack.kill('seckill', 'SIGKILL');
    const killedAt = Date.now();
    const entries = await stack.redis.xrange(stream, '-', '+');
    const pendingReservations = entries.filter(([id]) => caught.some(([pending]) => pending === id)).map(([, fields]) => fields[1]);
    const firstJob = await stack.orderCreateQueue.getJobState(`${sale.activityId}-${caught[0][0]}`);
    stack.log(
      `broke: froze seckill (SIGSTOP) while its relay held ${caught.length} stream entries read but not acknowledged ` +
        `(consumer ${caught[0][1]}), confirmed still pending 200 ms later, then SIGKILL (pid ${pid}); ` +
        `their batch's job was ${firstJob === 'unknown' ? 'not yet in BullMQ' : `already in BullMQ (${firstJob})`}`,
    );
    assert.equal(pendingReservations.length, caught.length);

    await stack.startService('seckill');
    stack.log(`restarted seckill: ready ${seconds(killedAt)} after the kill`);
    await waitFor(async () => Number((await stack.redis.xpending(stream, 'relay'))[0]) === 0, 60_000, 'the pending entries to be claimed', 250);
    stack.log(`the restarted relay claimed and acknowledged the ${caught.length} entries ${seconds(killedAt)} after the kill (they must idle 15 s first)`);

    await sale.finished();
    stack.log(`shoppers' answers: ${sale.tally()}; gave up: ${sale.gaveUp.length}`);
    const orders = await drained(stack, sale);
    const ordered = new Set(orders.map((order) => order.reservation_id));
    assert.deepEqual(pendingReservations.filter((id) => !ordered.has(id)), [], 'reservations of the caught batch without an order');
    const metrics = await (await fetch(`${stack.url('order')}/metrics`)).text();
    const requeued = /^orders_sweeper_requeued_total(?:\{\})? (\d+)/m.exec(metrics)?.[1] ?? '0';
    assert.equal(requeued, '0', 'the sweeper had to requeue reservations');
    const how = firstJob === 'unknown'
      ? `the claim delivered them (their batch never reached BullMQ before the kill), the sweeper requeued ${requeued}`
      : `their batch reached BullMQ before the kill and the claim's replay (same job id, inserts keyed on the reservation) added none`;
    stack.log(`verified: the ${caught.length} reservations of the caught batch have one order each: ${how}`);
    for (const each of sales) {
      stack.log(`invariants of sale ${each.activityId}${each === sale ? ' (the one whose relay was killed)' : ''}:`);
      await verifyInvariants(stack, each);
    }
  });
});

/**
 * Watches the sale's stream until the relay holds entries read and not acknowledged, freezes seckill (SIGSTOP) and
 * returns the entries still pending 200 ms later; thaws it and watches again when the acknowledgement won the race.
 * Returns none if the sale sells out first.
 */
async function catchMidBatch(stack: DrillStack, sale: Sale): Promise<PendingEntry[]> {
  const stream = stack.stock.keysFor(sale.activityId, 1).stream;
  while (sale.accepted.size < sale.options.units) {
    const [count] = (await stack.redis.xpending(stream, 'relay').catch(() => [0])) as [number];
    // A batch of a few entries at least, while the sale is young enough to offer one.
    if (count < (sale.accepted.size < sale.options.units / 2 ? 2 : 1)) continue;
    stack.signal('seckill', 'SIGSTOP');
    await sleep(200);
    const caught = (await stack.redis.xpending(stream, 'relay', '-', '+', 1000)) as PendingEntry[];
    if (caught.length > 0) return caught;
    stack.signal('seckill', 'SIGCONT');
  }
  return [];
}
