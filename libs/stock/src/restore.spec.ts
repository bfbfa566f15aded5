import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisKeys } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { HeldOrder, StockActivity, StockService } from './stock.service';

// restore.lua, reclaim.lua and report-lost.lua against the real Redis: what the rebuild command, the purchase path's
// load, the order worker's reclaim and adoption and seckill's reservation journal rely on.

describe('StockService.restore, reclaim and reportLost', () => {
  const config = createTestConfig();
  let redis: Redis;
  let stock: StockService;
  let nextId = 1;

  before(() => {
    redis = new Redis(config.REDIS_URL);
    stock = new StockService(redis, new RedisKeys(config.REDIS_KEY_PREFIX));
  });

  after(async () => {
    redis.disconnect();
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  });

  const activity = (units: number, shards = 2): StockActivity => ({
    id: nextId++,
    startAt: Date.now() - 1000,
    endAt: Date.now() + 3600_000,
    stock: units,
    stockShards: shards,
  });
  const order = (user: number): HeldOrder => ({ userId: String(user), reservationId: randomUUID(), orderId: String(9000 + user), createdAt: 1_700_000_000_000 });
  const holders = async (id: number) => redis.hgetall(stock.keysFor(id, 1).holders);

  it('loads a lost activity from its orders: remaining = stock − orders, a holder and a CREATED result per order', async () => {
    const sale = activity(10);
    const orders = [order(1), order(2), order(3)];
    const outcome = await stock.restore(sale, orders, 'rebuild');
    assert.deepEqual(outcome, { remaining: 7, added: 3, short: 0, loaded: true });
    assert.equal(await stock.remaining(sale.id, 2), 7);
    assert.deepEqual(Object.keys(await holders(sale.id)).sort(), ['1', '2', '3']);
    assert.deepEqual(await stock.result(sale.id, '2'), { status: 'CREATED', reservationId: orders[1].reservationId, orderId: '9002' });
    assert.equal((await stock.reserve(sale.id, 2, { userId: '2', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 })).code, 'DUP');
    assert.equal((await stock.liveActivities()).includes(sale.id), true);
  });

  it('is idempotent, and counts reservations made since the load (holders) when run again', async () => {
    const sale = activity(10);
    const orders = [order(1), order(2)];
    await stock.restore(sale, orders, 'rebuild');
    assert.equal((await stock.reserve(sale.id, 2, { userId: '5', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 })).code, 'OK');
    assert.deepEqual(await stock.restore(sale, orders, 'rebuild'), { remaining: 7, added: 0, short: 0, loaded: false });
    assert.equal(Object.keys(await holders(sale.id)).length, 3);
  });

  it("in 'load' mode loads a lost activity the same way, and leaves one Redis holds alone (no stray order adopted)", async () => {
    const sale = activity(10);
    assert.deepEqual(await stock.restore(sale, [order(1)], 'load'), { remaining: 9, added: 1, short: 0, loaded: true });
    assert.deepEqual(await stock.restore(sale, [order(2)], 'load'), { remaining: 9, added: 0, short: 0, loaded: false });
    assert.equal((await holders(sale.id))['2'], undefined);
  });

  it('adopts orders without loading (holders only), and a later load counts them', async () => {
    const sale = activity(5);
    const early = order(1);
    assert.deepEqual(await stock.restore(sale, [early], 'adopt'), { remaining: null, added: 1, short: 0, loaded: false });
    assert.equal(await stock.isLoaded(sale.id), false);
    // The load read MySQL before the adopted order was written: it does not list it, yet counts its holder.
    assert.deepEqual(await stock.restore(sale, [order(2)], 'rebuild'), { remaining: 3, added: 1, short: 0, loaded: true });
  });

  it('gives an adopted order a unit of a loaded activity, and counts a unit that is not there as short', async () => {
    const sale = activity(2, 1);
    await stock.restore(sale, [order(1)], 'rebuild');
    assert.deepEqual(await stock.restore(sale, [order(2)], 'adopt'), { remaining: 0, added: 1, short: 0, loaded: false });
    assert.deepEqual(await stock.restore(sale, [order(3)], 'adopt'), { remaining: 0, added: 1, short: 1, loaded: false });
  });

  it('reclaims a reservation Redis lost: with a unit of a loaded activity, as a holder of one not loaded, never twice a unit', async () => {
    const ref = (user: number) => ({ reservationId: randomUUID(), userId: String(user), reservedAt: 1_700_000_000_000 });
    const sale = activity(2, 1);
    await stock.restore(sale, [], 'rebuild');
    const known = await stock.reserve(sale.id, 1, { userId: '1', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
    const knownRef = { reservationId: known.code === 'OK' ? known.reservationId : '', userId: '1', reservedAt: 1 };
    const [two, three, again] = [ref(2), ref(3), ref(1)];
    // Known: stands. Lost, a unit left: stands with it. Lost, none left: no order. A user holding another unit: no order.
    assert.deepEqual(await stock.reclaim(sale, [knownRef, two, three, again]), [true, true, false, false]);
    assert.equal(await stock.remaining(sale.id, 1), 0);
    assert.deepEqual(await stock.reservation(sale.id, two.reservationId).then((r) => r?.status), 'QUEUED');
    assert.deepEqual(await stock.reclaim(sale, [two]), [true], 'reclaimed once, then known');
    // Its shopper's result follows it (Redis lost the shopper's latest reservation along with it).
    assert.deepEqual(await stock.result(sale.id, '2'), { status: 'QUEUED', reservationId: two.reservationId });

    const unloaded = activity(3, 1);
    const four = ref(4);
    assert.deepEqual(await stock.reclaim(unloaded, [four]), [true]);
    // The load that comes later counts the reclaimed holder.
    assert.deepEqual(await stock.restore(unloaded, [], 'rebuild'), { remaining: 2, added: 0, short: 0, loaded: true });
  });

  it('reclaims a reservation already reported lost only with a unit, and takes it off the lost list', async () => {
    const ref = (user: number) => ({ reservationId: randomUUID(), userId: String(user), reservedAt: 1_700_000_000_000 });
    const sale = activity(1, 1);
    await stock.restore(sale, [], 'rebuild');
    const [one, two] = [ref(1), ref(2)];
    assert.equal(await stock.reportLost(sale.id, [one, two]), 2);
    // Reported lost holds no unit: the first stands again with the one unit left, the second finds none.
    assert.deepEqual(await stock.reclaim(sale, [one, two]), [true, false]);
    assert.equal(await stock.remaining(sale.id, 1), 0);
    assert.equal((await holders(sale.id))['1'], one.reservationId);
    assert.deepEqual(await stock.lost(sale.id), [two]);
    assert.deepEqual(await stock.result(sale.id, '1'), { status: 'QUEUED', reservationId: one.reservationId });
    assert.deepEqual(await stock.result(sale.id, '2'), { status: 'FAILED', reservationId: two.reservationId });
    // A failed job's reservation (FAILED with its unit still held) stands as it is and takes no second unit.
    const other = activity(2, 1);
    await stock.restore(other, [], 'rebuild');
    const held = await stock.reserve(other.id, 1, { userId: '3', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
    assert.equal(held.code, 'OK');
    const heldId = held.code === 'OK' ? held.reservationId : '';
    assert.equal(await stock.markFailed(other.id, heldId), true);
    assert.deepEqual(await stock.reclaim(other, [{ reservationId: heldId, userId: '3', reservedAt: 1 }]), [true]);
    assert.equal(await stock.remaining(other.id, 1), 1);
  });

  it('reports a lost reservation once, as FAILED for its shopper, and not one that Redis knows', async () => {
    const sale = activity(5);
    await stock.restore(sale, [], 'rebuild');
    const known = await stock.reserve(sale.id, 2, { userId: '1', reservationId: randomUUID(), now: Date.now(), activityRateLimit: 0 });
    assert.equal(known.code, 'OK');
    const lost = { reservationId: randomUUID(), userId: '2', reservedAt: 1_700_000_000_000 };
    const knownId = known.code === 'OK' ? known.reservationId : '';
    assert.equal(await stock.reportLost(sale.id, [lost, { reservationId: knownId, userId: '1', reservedAt: 1 }]), 1);
    assert.equal(await stock.reportLost(sale.id, [lost]), 0);
    assert.deepEqual(await stock.lost(sale.id), [lost]);
    assert.deepEqual(await stock.result(sale.id, '2'), { status: 'FAILED', reservationId: lost.reservationId });
    // An order that turns up for it after all (adopted) takes it off the lost list.
    await stock.restore(sale, [{ userId: '2', reservationId: lost.reservationId, orderId: '77', createdAt: 1 }], 'adopt');
    assert.deepEqual(await stock.lost(sale.id), []);
    assert.equal((await stock.result(sale.id, '2')).status, 'CREATED');
  });
});
