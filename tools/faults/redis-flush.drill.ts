import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ReservationResult } from '@seckill/contracts';
import { configToEnv, mintToken, sleep, waitFor } from '@seckill/testing';
import { DrillStack } from './drill-stack';
import { adminToken, allOrders, request, Sale, seconds, verifyInvariants } from './sale-drill';

// Redis loses all its data in the middle of a sale (FLUSHALL on the drill's own redis-server: what a restart without
// persistence, or a failover to a replica that lagged, does): stock, holders, reservations, streams, queued jobs,
// switches. MySQL's orders are then the truth. The purchase path must not sell the whole stock again; the operator
// runs the documented rebuild command (npm run redis:rebuild -- --activity N), which restores remaining = stock −
// orders not cancelled and the holders from the orders; and the 202s whose reservations were lost with Redis' data
// before they became orders must be reported (reconciliation names them, and each shopper's result says FAILED),
// never silently dropped. The drain is slowed to 20 orders a second so that the flush finds reservations still on
// their way to MySQL.

interface Reconciliation {
  consistent: boolean;
  remaining: number;
  reserved: number;
  lost: Array<{ reservationId: string; userId: string }>;
  mismatches: string[];
}

describe('drill: Redis flushed mid-sale, hot state rebuilt from MySQL', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({
      name: 'Redis flush',
      services: ['admin', 'order', 'seckill'],
      env: { ORDER_DRAIN_RATE_PER_SECOND: '20' },
    });
  });

  after(async () => {
    await stack?.close();
  });

  it('rebuilds stock and holders from the orders, sells no unit twice, and reports every 202 it lost', async () => {
    const sale = (await Sale.open(stack, { units: 100, shoppers: 400, arrivalsPerSecond: 40 })).start();
    stack.log(`sale: activity ${sale.activityId}, ${sale.options.units} units, ${sale.options.shoppers} shoppers at ${sale.options.arrivalsPerSecond}/s; drain 20 orders/s`);
    await sale.untilAccepted(40);
    await waitFor(async () => (await allOrders(stack, sale)).length >= 10, 30_000, 'the first orders');

    await stack.redis.flushall();
    const flushedAt = Date.now();
    const promisedAtFlush = sale.accepted.size;
    const ordersAtFlush = (await allOrders(stack, sale)).length;
    stack.log(`broke: FLUSHALL with ${promisedAtFlush} units promised (202) and ${ordersAtFlush} orders in MySQL: the rest were only in Redis`);

    // The sale goes on while the operator reacts.
    await sleep(3000);
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '../redis-rebuild.js'), '--activity', String(sale.activityId)], {
      env: { ...process.env, ...configToEnv(stack.config) },
    });
    stack.log(`repaired: npm run redis:rebuild -- --activity ${sale.activityId} (${seconds(flushedAt)} after the flush) printed:`);
    for (const line of stdout.trim().split('\n')) stack.log(`  ${line}`);

    await sale.finished();
    stack.log(`shoppers' answers: ${sale.tally()}; gave up: ${sale.gaveUp.length}`);

    // The truth, from the drill's side: promised units that never became orders.
    await waitFor(async () => (await stack.orderCreateQueue.getJobCounts('waiting', 'active', 'delayed')).waiting === 0, 60_000, 'the queue to drain');
    await sleep(2000);
    const ordered = new Set((await allOrders(stack, sale)).map((order) => order.reservation_id));
    const notOrdered = [...sale.accepted.values()].filter((a) => !ordered.has(a.reservationId));
    // The system's report: reconciliation names the lost reservations once the seckill instance that accepted them
    // has seen them gone from Redis (within about 20 s).
    let report: Reconciliation | undefined;
    await waitFor(
      async () => {
        const answer = await request<Reconciliation>(`${stack.url('admin')}/api/admin/reconciliation?activityId=${sale.activityId}`, { token: adminToken(stack) });
        report = answer.body;
        return answer.status === 200 && (report.lost?.length ?? 0) >= notOrdered.length;
      },
      60_000,
      `reconciliation to report the ${notOrdered.length} lost reservation(s)`,
      1000,
    );
    const reported = new Set((report?.lost ?? []).map((entry) => entry.reservationId));
    assert.deepEqual([...reported].sort(), notOrdered.map((a) => a.reservationId).sort(), 'reported lost = promised and never ordered');
    for (const promise of notOrdered) {
      const result = await request<ReservationResult>(`${stack.url('seckill')}/api/activities/${sale.activityId}/result`, { token: mintToken(stack.config, promise.user) });
      assert.equal(result.body.status, 'FAILED', `user ${promise.user}'s result after the loss: ${JSON.stringify(result.body)}`);
    }
    stack.log(
      `verified: every 202 lost with Redis' data is reported: ${notOrdered.length} of ${sale.accepted.size} promised units never became orders, ` +
        `and reconciliation names exactly those ${reported.size}; each shopper's result says FAILED`,
    );
    await verifyInvariants(stack, sale, { lost: reported });
  });
});
