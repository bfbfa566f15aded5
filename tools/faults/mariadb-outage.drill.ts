import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '@seckill/testing';
import { DrillStack } from './drill-stack';
import { drained, Sale, seconds, verifyInvariants } from './sale-drill';

// MariaDB stopped for 20 s in the middle of a sale: a mariadbd of the drill's own (its own port and data directory,
// initialised by mariadb-install-db), shut down cleanly and started again; the shared server on 3306 is never
// touched. A purchase needs only Redis, so shoppers must keep getting 202s through the outage; the order jobs wait and
// retry with backoff, and once MariaDB is back every 202 becomes its order.

const OUTAGE_MS = 20_000;

describe('drill: MariaDB stopped for 20 s mid-sale', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({ name: 'MariaDB outage', services: ['admin', 'order', 'seckill'], ownMariaDb: true });
  });

  after(async () => {
    await stack?.close();
  });

  it('keeps accepting purchases from Redis while MariaDB is down, and turns every 202 into an order after', async () => {
    const sale = (await Sale.open(stack, { units: 100, shoppers: 300, arrivalsPerSecond: 10 })).start();
    stack.log(`sale: activity ${sale.activityId}, ${sale.options.units} units, ${sale.options.shoppers} shoppers at ${sale.options.arrivalsPerSecond}/s (own mariadbd on port ${stack.mariaDb?.port})`);
    await sale.untilAccepted(15);
    const atStop = sale.accepted.size;
    await stack.mariaDb?.stop();
    const stoppedAt = Date.now();
    stack.log(`broke: stopped mariadbd (clean shutdown) with ${atStop} units sold; down for ${OUTAGE_MS / 1000} s while shoppers keep arriving`);
    await sleep(OUTAGE_MS);
    const duringOutage = [...sale.accepted.values()].filter((a) => a.at >= stoppedAt).length;
    const answersDuring = sale.tally();
    await stack.mariaDb?.start();
    const restartedAt = Date.now();
    stack.log(`restarted mariadbd ${seconds(stoppedAt)} after the stop; shoppers' answers so far: ${answersDuring}`);
    stack.log(`during the outage ${duringOutage} purchases were accepted (202) from Redis`);

    await sale.finished();
    stack.log(`shoppers' answers: ${sale.tally()}; gave up: ${sale.gaveUp.length}`);
    const orders = await drained(stack, sale);
    stack.log(`all ${orders.length} orders written ${seconds(restartedAt)} after MariaDB came back (jobs retried with backoff through the outage)`);
    await verifyInvariants(stack, sale);
    assert.ok(duringOutage > 0, 'no purchase was accepted while MariaDB was down: the sale stopped with MySQL');
  });
});
