import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { RedisKeys } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { LoginAdmission, LoginThrottle, LoginThrottleLimits } from './login-throttle';

// Against the real Redis, under this file's own key prefix (deleted before each test and at the end).
const config = createTestConfig({ RATE_LIMIT_IP_ALLOWLIST: '10.0.0.0/8' });
const LIMITS: LoginThrottleLimits = { failuresPerUsername: 3, failuresPerIp: 5, windowSeconds: 60 };

function admitted(admission: LoginAdmission): admission is Extract<LoginAdmission, { admitted: true }> {
  return admission.admitted;
}

describe('LoginThrottle (real Redis)', () => {
  let redis: Redis;
  let throttle: LoginThrottle;

  before(() => {
    redis = new Redis(config.REDIS_URL);
    throttle = new LoginThrottle(redis, new RedisKeys(config.REDIS_KEY_PREFIX), config, LIMITS);
  });

  beforeEach(() => deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX));

  after(async () => {
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
    await redis.quit();
  });

  it('admits the allowed failures for a username, then refuses for the rest of the window', async () => {
    for (let i = 0; i < LIMITS.failuresPerUsername; i++) {
      assert.equal((await throttle.admit('alice', '192.0.2.1')).admitted, true);
    }
    const refused = await throttle.admit('alice', '192.0.2.2');
    assert.equal(refused.admitted, false);
    assert.ok(!refused.admitted && refused.retryAfterSeconds > 55 && refused.retryAfterSeconds <= 60, JSON.stringify(refused));
    // Another username from the same address is not affected.
    assert.equal((await throttle.admit('bob', '192.0.2.1')).admitted, true);
  });

  it('counts a username regardless of case, as the database compares usernames', async () => {
    for (const name of ['Carol', 'CAROL', 'carol']) assert.equal((await throttle.admit(name, '192.0.2.1')).admitted, true);
    assert.equal((await throttle.admit('cArOl', '192.0.2.1')).admitted, false);
  });

  it('a success forgives the username and gives the address its slot back', async () => {
    await throttle.admit('dave', '192.0.2.3');
    await throttle.admit('dave', '192.0.2.3');
    const third = await throttle.admit('dave', '192.0.2.3');
    assert.ok(admitted(third));
    await throttle.succeeded(third.attempt);
    for (let i = 0; i < LIMITS.failuresPerUsername; i++) {
      assert.equal((await throttle.admit('dave', '192.0.2.4')).admitted, true, `attempt ${i + 1} after the success`);
    }
    const ipCount = Number(await redis.get(`${config.REDIS_KEY_PREFIX}login-failures:ip:192.0.2.3`));
    assert.equal(ipCount, 2, 'the two failures stay counted for the address, the success does not');
  });

  it('limits failures per address across usernames', async () => {
    for (let i = 0; i < LIMITS.failuresPerIp; i++) {
      assert.equal((await throttle.admit(`user${i}`, '198.51.100.7')).admitted, true);
    }
    assert.equal((await throttle.admit('someone-new', '198.51.100.7')).admitted, false);
    // The refused attempt did not use up the username's allowance.
    for (let i = 0; i < LIMITS.failuresPerUsername; i++) {
      assert.equal((await throttle.admit('someone-new', '198.51.100.8')).admitted, true);
    }
  });

  it('exempts allowlisted addresses from the per-address limit, not from the per-username one', async () => {
    for (let i = 0; i < LIMITS.failuresPerIp * 2; i++) {
      assert.equal((await throttle.admit(`load${i}`, '10.1.2.3')).admitted, true);
    }
    for (let i = 0; i < LIMITS.failuresPerUsername; i++) await throttle.admit('eve', '10.1.2.3');
    assert.equal((await throttle.admit('eve', '10.1.2.3')).admitted, false);
  });

  it('lets no more than the limit through when attempts arrive all at once', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => throttle.admit('frank', '203.0.113.9')));
    assert.equal(answers.filter((answer) => answer.admitted).length, LIMITS.failuresPerUsername);
  });

  it('an abandoned attempt counts as no failure', async () => {
    for (let i = 0; i < 10; i++) {
      const admission = await throttle.admit('grace', '203.0.113.10');
      assert.ok(admitted(admission));
      await throttle.abandoned(admission.attempt);
    }
    assert.equal(await redis.exists(`${config.REDIS_KEY_PREFIX}login-failures:user:grace`), 0);
  });

  it('every counter it leaves behind expires with its window', async () => {
    await throttle.admit('heidi', '203.0.113.11');
    for (const key of await redis.keys(`${config.REDIS_KEY_PREFIX}*`)) {
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= LIMITS.windowSeconds * 1000, `${key} expires (pttl ${ttl})`);
    }
  });
});
