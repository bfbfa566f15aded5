import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { ActivityRecord } from '@seckill/activities';
import { OrderRepository } from '@seckill/order-store';
import { createPrismaClient, MetricsService, PrismaClient, RedisKeys } from '@seckill/platform';
import { HotStateService, StockService } from '@seckill/stock';
import { createTestConfig, createTestDatabases, deleteRedisPrefix, dropTestResources } from '@seckill/testing';
import { CatalogService } from './catalog.service';
import { ReservationJournal } from './reservation-journal';

// The journal against the real Redis and order shards (empty: no reservation here became an order), with its clock
// passed to check() instead of waited for.

describe('ReservationJournal', () => {
  const config = createTestConfig();
  let redis: Redis;
  let stock: StockService;
  let shards: PrismaClient[];
  let metrics: MetricsService;
  let journal: ReservationJournal;
  const sale = { id: 7, startAt: Date.now() - 60_000, endAt: Date.now() + 3600_000, stock: 10, stockShards: 1 };

  before(async () => {
    await createTestDatabases(config);
    redis = new Redis(config.REDIS_URL);
    stock = new StockService(redis, new RedisKeys(config.REDIS_KEY_PREFIX));
    shards = config.ORDER_SHARD_URLS.map((url) => createPrismaClient(url, 2));
    const hotState = new HotStateService(stock, new OrderRepository(config, shards));
    // The catalog's one use here: the activity, to load it again from its orders.
    const catalog = { get: async () => sale as unknown as ActivityRecord } as unknown as CatalogService;
    metrics = new MetricsService();
    journal = new ReservationJournal(stock, hotState, catalog, metrics);
    await stock.prewarm(sale);
  });

  after(async () => {
    redis.disconnect();
    await Promise.allSettled(shards.map((client) => client.$disconnect()));
    await dropTestResources(config);
  });

  async function accept(userId: string, at: number): Promise<string> {
    const outcome = await stock.reserve(sale.id, 1, { userId, reservationId: randomUUID(), now: at, activityRateLimit: 0 });
    assert.equal(outcome.code, 'OK');
    const reservationId = outcome.code === 'OK' ? outcome.reservationId : '';
    journal.record(sale.id, reservationId, userId, at);
    return reservationId;
  }

  it('forgets a reservation once it is an order, keeps one still queued, and looks at none younger than 2 s', async () => {
    const now = Date.now();
    const ordered = await accept('1', now - 5000);
    await accept('2', now - 5000);
    await accept('3', now - 500);
    await stock.markCreated(sale.id, ordered, '123');
    assert.equal(await journal.check(now), 0);
    assert.equal(journal.pending, 2);
  });

  it('reports a reservation Redis lost once it has been missing 15 s from the activity loaded again', async () => {
    const now = Date.now();
    const lost = await accept('4', now - 3000);
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);

    // The activity went with the data: the first look loads it again from its orders (none) and judges nothing yet.
    assert.equal(await journal.check(now), 0);
    assert.equal(await stock.isLoaded(sale.id), true);
    assert.equal(await stock.remaining(sale.id, 1), 10);
    assert.equal(await journal.check(now + 5000), 0, 'missing, but not for 15 s yet');
    assert.equal(await journal.check(now + 19_999), 0);
    assert.equal(await journal.check(now + 20_000), 3, 'the three reservations noted before the loss');
    assert.equal(journal.pending, 0);
    assert.deepEqual((await stock.lost(sale.id)).find((entry) => entry.reservationId === lost), { reservationId: lost, userId: '4', reservedAt: now - 3000 });
    assert.deepEqual(await stock.result(sale.id, '4'), { status: 'FAILED', reservationId: lost });
    const counted = (await metrics.registry.getSingleMetricAsString('seckill_reservations_lost_total')).split('\n').at(-1);
    assert.equal(counted, 'seckill_reservations_lost_total 3');
  });
});
