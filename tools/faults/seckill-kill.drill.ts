import { after, before, describe, it } from 'node:test';
import { DrillStack } from './drill-stack';
import { Sale, seconds, verifyInvariants } from './sale-drill';

// The seckill service is killed (SIGKILL: no shutdown hook runs) while shoppers are buying, and restarted. A purchase
// in flight at that instant may have been reserved in Redis without its 202 reaching the shopper; the shopper's
// retry learns it from ALREADY_PURCHASED. Reservations live in Redis with their stream entries, so nothing the killed
// process accepted is lost: the restarted relay (or another instance's) hands them on.

describe('drill: SIGKILL of the seckill service mid-sale', () => {
  let stack: DrillStack;

  before(async () => {
    stack = await DrillStack.start({ name: 'seckill SIGKILL', services: ['admin', 'order', 'seckill'] });
  });

  after(async () => {
    await stack?.close();
  });

  it('turns every 202 into one order after seckill is killed and restarted mid-sale', async () => {
    const sale = (await Sale.open(stack, { units: 60, shoppers: 300, arrivalsPerSecond: 40 })).start();
    stack.log(`sale: activity ${sale.activityId}, ${sale.options.units} units, ${sale.options.shoppers} shoppers arriving at ${sale.options.arrivalsPerSecond}/s`);
    await sale.untilAccepted(20);
    const sold = sale.accepted.size;
    const killedAt = Date.now();
    const pid = await stack.kill('seckill', 'SIGKILL');
    stack.log(`broke: SIGKILL seckill (pid ${pid}) with ${sold} of ${sale.options.units} units sold and shoppers still buying`);
    await stack.startService('seckill');
    stack.log(`restarted seckill: ready ${seconds(killedAt)} after the kill`);
    await sale.finished();
    stack.log(`shoppers' answers: ${sale.tally()}; gave up: ${sale.gaveUp.length}`);
    await verifyInvariants(stack, sale);
  });
});
