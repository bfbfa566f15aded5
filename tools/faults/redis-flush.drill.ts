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
// switches. MySQL's orders are then the truth. The next purchase finds the activity missing and seckill loads it from
// the orders (remaining = stock − orders not cancelled, holders from the orders), never the whole stock again; orders
// that batches in flight write after that load are adopted by the order worker; the operator runs the documented
// command (npm run redis:rebuild -- --activity N), which does the same load and restores what seckill does not (the
// payment timeouts). The 202s whose reservations went with Redis' data before they became orders are reported by the
// seckill instance that accepted them: reconciliation names them and each shopper's result says FAILED, never a
// silent NONE. The drain is slowed to 20 orders a second so that the flush finds reservations on their way to MySQL.
// A second flush after the sale, when no purchase reaches Redis any more, shows the command rebuilding alone.

interface Reconciliation {
  consistent: boolean;
  remaining: number;
  reserved: number;
  lost: Array<{ reservationId: string; userId: string }>;
  mismatches: string[];
}

describe('drill: Redis flushed mid-sale, hot state rebuilt from MySQL', () => {
  let stack: DrillStack;
  let flushed: { sale: Sale; lost: ReadonlySet<string> } | undefined;

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
    stack.log(`3 s later the activity is ${(await stack.stock.isLoaded(sale.activityId)) ? 'back in Redis: seckill loaded it from the orders on the next purchase' : 'still not in Redis'}`);
    const printed = await rebuildCommand(stack, sale.activityId);
    stack.log(`repaired: npm run redis:rebuild -- --activity ${sale.activityId} (${seconds(flushedAt)} after the flush) printed:`);
    for (const line of printed) stack.log(`  ${line}`);

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
    flushed = { sale, lost: reported };
  });

  it('rebuilds the whole hot state of the sold-out sale with the command alone after a second flush', async () => {
    assert.ok(flushed, 'the first flush drill ran');
    const { sale, lost } = flushed;
    // Sold out: every instance answers from memory now, so nothing but the command puts the activity back in Redis.
    await stack.redis.flushall();
    stack.log('broke: FLUSHALL again, after the sale (sold out: no purchase reaches Redis to load it back)');
    const printed = await rebuildCommand(stack, sale.activityId);
    stack.log(`repaired: npm run redis:rebuild -- --activity ${sale.activityId} printed:`);
    for (const line of printed) stack.log(`  ${line}`);
    const live = (await allOrders(stack, sale)).filter((order) => order.status !== 'CANCELLED');
    assert.match(printed[0], new RegExp(`loaded from MySQL, ${live.length} holder\\(s\\) restored`));
    // The lost reports lived in Redis and went with it (the error log keeps them): reconciliation names none now.
    await verifyInvariants(stack, sale, { lost, reconciliationLost: new Set() });
  });
});

/** Runs `npm run redis:rebuild -- --activity <id>` (its compiled script) against the drill's stack; returns its lines. */
async function rebuildCommand(stack: DrillStack, activityId: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '../redis-rebuild.js'), '--activity', String(activityId)], {
    env: { ...process.env, ...configToEnv(stack.config) },
  });
  return stdout.trim().split('\n');
}
