import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { FrontDoorKeys } from './front-door-keys';
import { FrontDoorActivity, FrontDoorStore } from './front-door.store';
import { LeaderLease } from './leader-lease';

// The front door's scripts against the real Redis, with time passed in (no sleeps): the inlet is stepped by hand.

const config = createTestConfig();
const WINDOW = 60_000;
const T0 = 1_900_000_000_000;
let redis: Redis;
let store: FrontDoorStore;
let stock: StockService;
let nextId = 1;

/** A loaded activity on sale from T0 for an hour. */
async function activity(units = 1000): Promise<FrontDoorActivity> {
  const sale = { id: nextId++, startAt: T0, endAt: T0 + 3600_000, stock: units, stockShards: 1 };
  await stock.prewarm(sale);
  return sale;
}

const step = (sale: FrontDoorActivity, now: number, rate: number) =>
  store.advance(sale, { now, rate, admissionWindowMs: WINDOW, maxExpiryChecks: 1000 });

async function buy(sale: FrontDoorActivity, user: string, now: number): Promise<void> {
  const outcome = await stock.reserve(sale.id, 1, { userId: user, reservationId: randomUUID(), now, activityRateLimit: 0 });
  assert.equal(outcome.code, 'OK');
}

before(() => {
  redis = new Redis(config.REDIS_URL);
  const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
  store = new FrontDoorStore(redis, keys);
  stock = new StockService(redis, keys);
});

after(async () => {
  redis.disconnect();
  await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
});

describe('waiting room', () => {
  it('gives 2,000 concurrent shoppers unique, dense positions, the same one on repeat', async () => {
    const sale = await activity();
    const users = Array.from({ length: 2000 }, (_, i) => String(5000 + i));
    const places = await Promise.all(users.map((user) => store.join(sale, user, T0 - 10_000, WINDOW)));
    const positions = places.map((place) => place.position).sort((a, b) => a - b);
    assert.deepEqual(positions, Array.from({ length: 2000 }, (_, i) => i + 1));
    assert.ok(places.every((place) => place.status === 'WAITING'));
    const again = await store.join(sale, users[7], T0 - 5000, WINDOW);
    assert.equal(again.position, places[7].position);
    assert.equal(again.tail, 2000);
    assert.equal((await store.peek(sale, 'stranger', T0, WINDOW)).status, 'NONE');
  });

  it('admits in order at the rate, once between two callers, banking nothing while nobody waits', async () => {
    const sale = await activity();
    for (let user = 1; user <= 300; user++) await store.join(sale, String(user), T0 - 1000, WINDOW);
    assert.equal((await step(sale, T0 - 500, 50)).state, 'UPCOMING');
    assert.equal((await step(sale, T0 + 20, 50)).servingPosition, 1);
    assert.equal((await step(sale, T0 + 1000, 50)).servingPosition, 50);
    // A second caller at the same instant (two instances, or a lease handed over) admits nobody more.
    assert.equal((await step(sale, T0 + 1000, 50)).servingPosition, 50);
    // Fractions carry over: 0.5 s + 0.5 s at 25/s is 25, not 2 × 12.
    await step(sale, T0 + 1500, 25);
    assert.equal((await step(sale, T0 + 2000, 25)).servingPosition, 75);
    assert.equal((await store.peek(sale, '75', T0 + 2000, WINDOW)).status, 'ADMITTED');
    const next = await store.peek(sale, '76', T0 + 2000, WINDOW);
    assert.deepEqual([next.status, next.position, next.servingPosition], ['WAITING', 76, 75]);
    // Ten idle minutes later (everyone admitted), newcomers wait their turn instead of getting a banked burst
    // (with an hour to buy, so that no expiry moves the room here).
    const hourly = (now: number, rate = 1) => store.advance(sale, { now, rate, admissionWindowMs: 3600_000, maxExpiryChecks: 1000 });
    assert.equal((await hourly(T0 + 60_000, 50)).servingPosition, 300);
    await store.join(sale, 'late-1', T0 + 600_000, WINDOW);
    await store.join(sale, 'late-2', T0 + 600_000, WINDOW);
    assert.equal((await hourly(T0 + 600_000)).servingPosition, 300);
    assert.equal((await hourly(T0 + 601_000)).servingPosition, 301);
  });

  it('lets only admitted shoppers through the gate, counting nothing for the others', async () => {
    const sale = await activity();
    await store.join(sale, 'first', T0 - 1000, WINDOW);
    await store.join(sale, 'second', T0 - 1000, WINDOW);
    await step(sale, T0, 1);
    await step(sale, T0 + 1000, 1);
    const gate = (user: string) =>
      store.gate(sale, { userId: user, now: T0 + 1000, admissionWindowMs: WINDOW, waitingRoom: true, maxParticipants: 10 });
    assert.deepEqual(await gate('first'), { code: 'OK' });
    const refused = await gate('second');
    assert.equal(refused.code, 'NOT_ADMITTED');
    assert.equal(refused.code === 'NOT_ADMITTED' && refused.place.position, 2);
    assert.equal((await gate('nobody')).code, 'NOT_ADMITTED');
    assert.deepEqual(await redis.smembers(store.keysFor(sale.id).participants), ['first']);
  });

  it('passes the turn of an admitted shopper who does not buy in time to the next one', async () => {
    const sale = await activity();
    for (const user of ['a', 'b', 'c', 'd']) await store.join(sale, user, T0 - 1000, WINDOW);
    await step(sale, T0, 2);
    assert.equal((await step(sale, T0 + 1000, 2)).servingPosition, 2);
    await buy(sale, 'a', T0 + 2000);
    // Rate 0 from here: only expiries move the room.
    assert.equal((await step(sale, T0 + 30_000, 0)).servingPosition, 2);
    assert.equal((await store.peek(sale, 'b', T0 + 30_000, WINDOW)).status, 'ADMITTED');
    assert.equal((await store.peek(sale, 'b', T0 + 61_000, WINDOW)).status, 'EXPIRED');
    assert.equal((await store.peek(sale, 'a', T0 + 61_000, WINDOW)).status, 'ADMITTED');
    const expiry = await step(sale, T0 + 61_000, 0);
    assert.deepEqual([expiry.expired, expiry.servingPosition], [1, 3]);
    assert.equal((await store.peek(sale, 'c', T0 + 61_000, WINDOW)).status, 'ADMITTED');
    assert.equal((await store.gate(sale, { userId: 'b', now: T0 + 61_000, admissionWindowMs: WINDOW, waitingRoom: true, maxParticipants: 0 })).code, 'NOT_ADMITTED');
    // The expired shopper may queue again, at the back.
    const back = await store.join(sale, 'b', T0 + 62_000, WINDOW);
    assert.deepEqual([back.status, back.position], ['WAITING', 5]);
    assert.equal((await step(sale, T0 + 62_000, 0)).expired, 0);
  });

  it('closes at once when the stock runs out or the sale ends, telling the waiting CLOSED', async () => {
    const sale = await activity(1);
    for (const user of ['x', 'y', 'z']) await store.join(sale, user, T0 - 1000, WINDOW);
    await step(sale, T0, 1);
    await step(sale, T0 + 1000, 1);
    await buy(sale, 'x', T0 + 1500);
    assert.equal((await store.peek(sale, 'y', T0 + 1500, WINDOW)).status, 'CLOSED');
    assert.equal((await store.join(sale, 'newcomer', T0 + 1500, WINDOW)).status, 'CLOSED');
    assert.equal((await store.peek(sale, 'newcomer', T0 + 1500, WINDOW)).position, 0);
    const closed = await step(sale, T0 + 5000, 100);
    assert.deepEqual([closed.state, closed.servingPosition], ['CLOSED', 1]);
    assert.equal((await store.gate(sale, { userId: 'y', now: T0 + 5000, admissionWindowMs: WINDOW, waitingRoom: true, maxParticipants: 0 })).code, 'CLOSED');
    const ended = await activity();
    await store.join(ended, 'w', T0, WINDOW);
    assert.equal((await store.peek(ended, 'w', ended.endAt, WINDOW)).status, 'CLOSED');
  });

  it('retires every key an hour after the sale ends', async () => {
    const sale = await activity();
    await store.join(sale, 'r', T0 - 1000, WINDOW);
    await step(sale, T0, 1);
    await step(sale, T0 + 2000, 1);
    const keys = store.keysFor(sale.id);
    for (const key of [keys.room, keys.positions, keys.shoppers, keys.steps]) {
      assert.equal(await redis.pexpiretime(key), sale.endAt + 3600_000, key);
    }
  });
});

describe('token gate', () => {
  it('gives exactly 100 of 500 concurrent shoppers a place under a cap of 100, and a returning one keeps it', async () => {
    const sale = await activity();
    const users = Array.from({ length: 500 }, (_, i) => String(9000 + i));
    const outcomes = await Promise.all(
      users.map((user) => store.gate(sale, { userId: user, now: T0 + 1, admissionWindowMs: WINDOW, waitingRoom: false, maxParticipants: 100 })),
    );
    assert.equal(outcomes.filter((o) => o.code === 'OK').length, 100);
    assert.equal(outcomes.filter((o) => o.code === 'FULL').length, 400);
    const holder = users[outcomes.findIndex((o) => o.code === 'OK')];
    const again = await store.gate(sale, { userId: holder, now: T0 + 2, admissionWindowMs: WINDOW, waitingRoom: false, maxParticipants: 100 });
    assert.equal(again.code, 'OK');
    assert.equal(await redis.scard(store.keysFor(sale.id).participants), 100);
  });

  it('takes a challenge once, and a refused call (full) does not use it up', async () => {
    const sale = await activity();
    const challenge = { nonce: randomUUID().replace(/-/g, ''), ttlMs: 60_000 };
    const request = { now: T0 + 1, admissionWindowMs: WINDOW, waitingRoom: false, maxParticipants: 1, challenge };
    assert.equal((await store.gate(sale, { ...request, userId: 'p' })).code, 'OK');
    assert.equal((await store.gate(sale, { ...request, userId: 'p' })).code, 'REUSED');
    const fresh = { nonce: randomUUID().replace(/-/g, ''), ttlMs: 60_000 };
    assert.equal((await store.gate(sale, { ...request, challenge: fresh, userId: 'q' })).code, 'FULL');
    assert.equal(await redis.exists(store.keysFor(sale.id).challengeUsed(fresh.nonce)), 0);
    const ttl = await redis.pttl(store.keysFor(sale.id).challengeUsed(challenge.nonce));
    assert.ok(ttl > 50_000 && ttl <= 60_000, `ttl ${ttl}`);
  });
});

describe('LeaderLease', () => {
  it('has one holder at a time, renewed by its holder, released only by it, taken over once lapsed', async () => {
    const key = FrontDoorKeys.inletLease(new RedisKeys(config.REDIS_KEY_PREFIX));
    const a = new LeaderLease(redis, key, 5000);
    const b = new LeaderLease(redis, key, 5000);
    assert.equal(await a.hold(), true);
    assert.equal(await b.hold(), false);
    assert.equal(await a.hold(), true);
    assert.equal(await b.release(), false);
    assert.equal(await redis.get(key), a.holder);
    assert.equal(await a.release(), true);
    assert.equal(await b.hold(), true);
    // b's lease lapses (a crash): a takes it, and b can no longer renew what a holds.
    await redis.del(key);
    assert.equal(await a.hold(), true);
    assert.equal(await b.hold(), false);
    assert.equal(await redis.get(key), a.holder);
  });
});
