import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppConfig } from '@seckill/platform';
import {
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  startTestApp,
  startTestRedisServer,
  TestApp,
  TestRedisServer,
  waitFor,
} from '@seckill/testing';
import { AppModule } from './app.module';

// The order service (API and BullMQ workers) shut down while Redis is gone, against a redis-server of this test's
// own. BullMQ's graceful close waits for Redis to come back: before the service closed its workers by force when
// Redis was unreachable, this shutdown never ended. The bound is a failure bound, not a speed goal.

let redis: TestRedisServer;
let config: AppConfig;
let app: TestApp | undefined;

before(async () => {
  redis = await startTestRedisServer();
  config = createTestConfig({ REDIS_URL: redis.url });
  await createTestDatabases(config);
  app = await startTestApp('order', AppModule.register(config), config);
});

after(async () => {
  await app?.close();
  await redis.start();
  await dropTestResources(config);
  await redis.kill();
});

describe('order service with Redis down', () => {
  it('shuts down promptly, workers included', { timeout: 60_000 }, async () => {
    await waitFor(async () => (await fetch(`${app?.url}/health/ready`)).status === 200, 20_000, 'the order service to be ready');
    // Let the workers settle into their blocking reads: a close that catches them there hung most often.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.kill();
    const closing = app as TestApp;
    app = undefined;
    const started = performance.now();
    await closing.close();
    const ms = performance.now() - started;
    assert.ok(ms < 5000, `shut down after ${Math.round(ms)} ms`);
  });
});
