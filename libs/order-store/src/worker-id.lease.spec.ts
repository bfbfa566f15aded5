import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { HealthService, RedisKeys } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { decodeOrderId, MAX_WORKERS } from './order-id';
import { WorkerIdLease } from './worker-id.lease';

// The order worker-id lease against the real Redis. Lapses are made by deleting the lease's key, as Redis does when
// a lease outlives an outage; the clock is injected, so no test waits for a lease to expire.

const config = createTestConfig();
const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
const LEASE_MS = 30_000;
let redis: Redis;
let now = 1_000_000;
const leases: WorkerIdLease[] = [];

const keyOf = (id: number) => keys.key('order', 'worker-id', id);

async function startLease(): Promise<{ lease: WorkerIdLease; health: HealthService }> {
  const health = new HealthService();
  const lease = new WorkerIdLease(redis, keys, health, { leaseMs: LEASE_MS, renewMs: 10_000, clock: () => now });
  leases.push(lease);
  await lease.onModuleInit();
  return { lease, health };
}

const workerOf = (lease: WorkerIdLease) => decodeOrderId(lease.nextId(42n)).workerId;

before(() => {
  redis = new Redis(config.REDIS_URL);
});

afterEach(async () => {
  for (const lease of leases.splice(0)) await lease.onApplicationShutdown();
  await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
});

after(() => redis.disconnect());

describe('WorkerIdLease', () => {
  it('takes a worker id again after its lease lapsed (an outage longer than the lease), and is ready again', async () => {
    const { lease, health } = await startLease();
    const first = workerOf(lease);
    // Redis forgets the lease (it expired while the process could not renew it).
    await redis.del(keyOf(first));
    await lease.maintain();
    const again = workerOf(lease);
    assert.ok(again >= 0 && again < MAX_WORKERS);
    assert.ok((await redis.get(keyOf(again))) !== null, 'the lease is held in Redis again');
    assert.equal((await health.readiness()).ready, true);
  });

  it("never renews nor releases a lease another process took after it lapsed", async () => {
    const { lease } = await startLease();
    const first = workerOf(lease);
    // The lease lapses and another order process takes the same worker id.
    await redis.del(keyOf(first));
    await redis.set(keyOf(first), 'another-process', 'PX', 5000);
    await lease.maintain();
    assert.equal(await redis.get(keyOf(first)), 'another-process');
    assert.ok((await redis.pttl(keyOf(first))) <= 5000, "the other process's lease was not extended");
    assert.notEqual(workerOf(lease), first, 'this process moved to a free worker id');
    await lease.onApplicationShutdown();
    assert.equal(await redis.get(keyOf(first)), 'another-process', "shutting down did not delete the other's lease");
  });

  it('is not ready and issues no id while it holds none, and recovers once an id is free', async () => {
    for (let id = 0; id < MAX_WORKERS; id++) await redis.set(keyOf(id), 'other', 'PX', 60_000);
    const { lease, health } = await startLease();
    const readiness = await health.readiness();
    assert.equal(readiness.ready, false);
    assert.equal(readiness.checks['order-worker-id'], 'down');
    assert.throws(() => lease.nextId(42n), /worker id/);
    await redis.del(keyOf(5));
    await lease.maintain();
    assert.equal(workerOf(lease), 5);
    assert.equal((await health.readiness()).ready, true);
  });

  it('stops issuing ids once its lease may have lapsed without a renewal (Redis unreachable)', async () => {
    const { lease, health } = await startLease();
    workerOf(lease);
    now += LEASE_MS - 1;
    assert.doesNotThrow(() => lease.nextId(42n));
    now += 1;
    assert.throws(() => lease.nextId(42n), /worker id/);
    assert.equal((await health.readiness()).ready, false);
    await lease.maintain();
    assert.doesNotThrow(() => lease.nextId(42n));
  });

  it('releases its own lease on shutdown', async () => {
    const { lease } = await startLease();
    const id = workerOf(lease);
    await lease.onApplicationShutdown();
    assert.equal(await redis.get(keyOf(id)), null);
  });
});
