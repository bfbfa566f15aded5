import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisKeys } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { ActivityCache } from './activity-cache';
import { ActivityRecord } from './activity-record';

const config = createTestConfig();
let redis: Redis;
let cache: ActivityCache;

const record = (title: string): ActivityRecord => ({
  id: 7,
  title,
  description: '',
  priceCents: 100,
  originalPriceCents: null,
  stock: 10,
  stockShards: 1,
  startAt: 0,
  endAt: 1,
  paymentTimeoutSeconds: 900,
  waitingRoomEnabled: false,
  admitPerSecond: 0,
  staggerSeconds: 0,
  maxParticipants: 0,
  challengeDifficulty: 0,
});

before(() => {
  redis = new Redis(config.REDIS_URL);
  cache = new ActivityCache(redis, new RedisKeys(config.REDIS_KEY_PREFIX));
});

after(async () => {
  redis.disconnect();
  await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
});

describe('ActivityCache', () => {
  it('never lets a rebuild that read the old row write it back over an edit (delete-vs-refill race)', async () => {
    // A reader misses, reads the version, then the old row from MySQL...
    const version = await cache.version(7);
    // ...meanwhile an edit commits to MySQL and signals the change...
    await cache.changed(7);
    // ...and the reader's refill of the old row is refused.
    assert.equal(await cache.fill(7, record('old'), version, 60_000), false);
    assert.equal(await cache.read(7), undefined);
    // A rebuild after the edit stores the new row.
    assert.equal(await cache.fill(7, record('new'), await cache.version(7), 60_000), true);
    assert.deepEqual(await cache.read(7), { found: true, record: record('new'), fresh: true });
  });

  it('keeps an entry past its freshness, marked stale, for when it cannot be rebuilt', async () => {
    const version = await cache.version(13);
    assert.equal(await cache.fill(13, record('kept'), version, 1000, 5_000), true);
    assert.deepEqual(await cache.read(13, 5_999), { found: true, record: record('kept'), fresh: true });
    assert.deepEqual(await cache.read(13, 6_000), { found: true, record: record('kept'), fresh: false });
    assert.ok((await redis.pttl(`${config.REDIS_KEY_PREFIX}{a:13}:catalog`)) > 1000, 'kept in Redis past its freshness');
  });

  it('remembers a known absence, and lets one rebuilder at a time hold the lock', async () => {
    assert.equal(await cache.fill(8, null, await cache.version(8), 60_000), true);
    assert.deepEqual(await cache.read(8), { found: false, fresh: true });
    const token = await cache.tryLock(8, 1000);
    assert.ok(token);
    assert.equal(await cache.tryLock(8, 1000), null);
    assert.equal(await cache.unlock(8, token), true);
    assert.ok(await cache.tryLock(8, 1000));
  });

  it('lets only the holder release the rebuild lock: a holder whose lock lapsed cannot free the next one', async () => {
    const lapsed = await cache.tryLock(12, 1000);
    assert.ok(lapsed);
    // The first rebuilder stalls past its lock's lifetime, and the lock lapses...
    await redis.del(`${config.REDIS_KEY_PREFIX}{a:12}:catalog-lock`);
    // ...so a second one takes it.
    const current = await cache.tryLock(12, 1000);
    assert.ok(current);
    assert.notEqual(current, lapsed, 'each holder has its own token');
    // The first one finishes and releases: the second one's lock must survive.
    assert.equal(await cache.unlock(12, lapsed), false);
    assert.equal(await cache.tryLock(12, 1000), null, 'the lock is still held by the second rebuilder');
    assert.equal(await cache.unlock(12, current), true);
  });

  it('keeps the set of existing ids that feeds the bloom filters', async () => {
    await cache.changed(9);
    await cache.addIds([10, 11]);
    assert.deepEqual((await cache.allIds()).sort((a, b) => a - b), [7, 9, 10, 11]);
  });
});
