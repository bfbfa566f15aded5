import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { AppConfig, RedisKeys } from '@seckill/platform';
import { PurchaseTokens } from '@seckill/seckill';
import { StockService } from '@seckill/stock';
import { configToEnv, createTestConfig, deleteRedisPrefix, mintToken } from '@seckill/testing';
import { Child, forkListening, stopChild } from '../loadtest/lib/processes';

// The purchase floor of the seckill benchmark (loadtest/floor-server.ts) must do the purchase's real work, or the
// figure the bench prints beside the service's is worth nothing: the real reservation on a prewarmed activity, and
// the refusals that the token checks and the reservation script give.

const ACTIVITY = 1;
let config: AppConfig;
let redis: Redis;
let stock: StockService;
let floor: { child: Child; port: number };

before(async () => {
  config = createTestConfig();
  redis = new Redis(config.REDIS_URL);
  stock = new StockService(redis, new RedisKeys(config.REDIS_KEY_PREFIX));
  const now = Date.now();
  await stock.prewarm({ id: ACTIVITY, startAt: now - 60_000, endAt: now + 3_600_000, stock: 2, stockShards: 1 });
  floor = await forkListening('floor', join(__dirname, '../loadtest/floor-server.js'), 30_000, [], { ...process.env, ...configToEnv(config) });
});

after(async () => {
  if (floor) await stopChild(floor.child);
  redis?.disconnect();
  if (config) await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
});

async function purchase(userId: number, options: { bearer?: string; token?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = options.token ?? new PurchaseTokens(config.JWT_SECRET, config.PURCHASE_TOKEN_TTL_SECONDS).issue(ACTIVITY, String(userId), Date.now()).token;
  const response = await fetch(`http://127.0.0.1:${floor.port}/api/activities/${ACTIVITY}/purchase`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: options.bearer ?? `Bearer ${mintToken(config, userId)}` },
    body: JSON.stringify({ token }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the purchase floor of the benchmark', () => {
  it('reserves for real, once per user, and refuses what the service refuses', async () => {
    const first = await purchase(501);
    assert.equal(first.status, 202);
    assert.equal(first.body.status, 'QUEUED');
    assert.equal((await purchase(501)).status, 409, 'the same user again: the script says DUP');
    assert.equal((await purchase(502, { bearer: 'Bearer forged.token.here' })).status, 401);
    const forged = await purchase(502, { token: '1.502.9999999999.abc' });
    assert.deepEqual([forged.status, forged.body.code], [400, 'INVALID_SECKILL_TOKEN']);
    assert.equal(await stock.remaining(ACTIVITY, 1), 1, 'one unit reserved, by the one 202');
    assert.equal((await purchase(503)).status, 202);
    assert.equal((await purchase(504)).status, 409, 'sold out: the script says SOLD_OUT');
    assert.equal(await stock.remaining(ACTIVITY, 1), 0);
  });
});
