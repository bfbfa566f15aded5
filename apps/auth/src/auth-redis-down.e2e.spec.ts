import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppConfig } from '@seckill/platform';
import {
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  rawRequest,
  RawResponse,
  startTestApp,
  startTestRedisServer,
  TestApp,
  TestRedisServer,
} from '@seckill/testing';
import { AppModule } from './app.module';

// Login and shutdown with Redis gone (killed: connections refused) and with Redis frozen (connections open, no
// answer), against a redis-server of this test's own. The bounds are failure bounds, not speed goals: before the
// Redis connection failed fast, a login took 7.8 s to answer and a shutdown about 12 s.

const ANSWER_WITHIN_MS = 3000;
let redis: TestRedisServer;
let config: AppConfig;
let auth: TestApp | undefined;

const login = () =>
  rawRequest(`${auth?.url}/api/auth/login`, {
    method: 'POST',
    contentType: 'application/json',
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

function assertBusy(response: RawResponse): void {
  assert.equal(response.status, 503, response.text);
  assert.equal(JSON.parse(response.text).code, 'BUSY');
  assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
}

before(async () => {
  redis = await startTestRedisServer();
  config = createTestConfig({ REDIS_URL: redis.url });
  await createTestDatabases(config);
  auth = await startTestApp('auth', AppModule.register(config), config);
  const registered = await rawRequest(`${auth.url}/api/auth/register`, {
    method: 'POST',
    contentType: 'application/json',
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  });
  assert.equal(registered.status, 201, registered.text);
});

after(async () => {
  redis.resume();
  await auth?.close();
  await redis.kill();
  await redis.start();
  await dropTestResources(config);
  await redis.kill();
}, { timeout: 60_000 });

describe('auth with Redis down', () => {
  it('answers a login 503 BUSY with Retry-After, at once, while Redis is frozen', { timeout: 30_000 }, async () => {
    assert.equal((await login()).status, 200);
    redis.pause();
    try {
      const { value, ms } = await timed(login);
      assertBusy(value);
      assert.ok(ms < ANSWER_WITHIN_MS, `answered after ${Math.round(ms)} ms`);
    } finally {
      redis.resume();
    }
  });

  it('answers a login 503 BUSY with Retry-After, at once, while Redis is gone, and shuts down promptly', { timeout: 60_000 }, async () => {
    assert.equal((await login()).status, 200);
    await redis.kill();
    for (let i = 0; i < 3; i++) {
      const { value, ms } = await timed(login);
      assertBusy(value);
      assert.ok(ms < ANSWER_WITHIN_MS, `answered after ${Math.round(ms)} ms`);
    }
    const closing = auth;
    auth = undefined;
    const { ms } = await timed(() => (closing as TestApp).close());
    assert.ok(ms < ANSWER_WITHIN_MS, `shut down after ${Math.round(ms)} ms`);
  });
});
