import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { LiveStats, PlatformModule, RedisKeys } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';

// A process that stops must not take its last second of counts with it: the shutdown flush has to reach Redis before
// the shared connection is closed.

const config = createTestConfig();

after(async () => {
  await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
});

describe('live stats at shutdown', () => {
  it('flushes what was counted since the last flush before Redis is closed', async () => {
    const app = await NestFactory.createApplicationContext(PlatformModule.forRoot({ service: 'order', needs: { redis: true }, config }), {
      logger: false,
    });
    app.enableShutdownHooks();
    const stats = app.get(LiveStats);
    stats.addForActivity(42, 'created', 3);
    stats.addForActivity(42, 'cancelled', 1);
    await app.close();

    const redis = new Redis(config.REDIS_URL);
    try {
      const counts = await redis.hgetall(new RedisKeys(config.REDIS_KEY_PREFIX).activityStats(42));
      assert.deepEqual(counts, { created: '3', cancelled: '1' });
    } finally {
      redis.disconnect();
    }
  });
});
