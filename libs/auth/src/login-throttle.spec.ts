import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { RedisKeys } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { LoginAdmission, LoginAttempt, LoginThrottle, LoginThrottleLimits } from './login-throttle';

// Against the real Redis, under this file's own key prefix (deleted before each test and at the end).
const config = createTestConfig({ RATE_LIMIT_IP_ALLOWLIST: '10.0.0.0/8' });
const LIMITS: LoginThrottleLimits = {
  failuresPerUsernameAndIp: 3,
  failuresPerUsername: 6,
  failuresPerIp: 10,
  loginsPerIp: 4,
  windowSeconds: 60,
  knownAddressSeconds: 120,
};

function admitted(admission: LoginAdmission): admission is Extract<LoginAdmission, { admitted: true }> {
  return admission.admitted;
}

describe('LoginThrottle (real Redis)', () => {
  let redis: Redis;
  let throttle: LoginThrottle;

  /** An attempt that ends as a wrong password. */
  async function fail(username: string, ip: string): Promise<boolean> {
    const admission = await throttle.admit(username, ip);
    if (admitted(admission)) await throttle.failed(admission.attempt);
    return admission.admitted;
  }

  async function attempt(username: string, ip: string): Promise<LoginAttempt> {
    const admission = await throttle.admit(username, ip);
    assert.ok(admitted(admission), `${username} from ${ip} admitted: ${JSON.stringify(admission)}`);
    return admission.attempt;
  }

  before(() => {
    redis = new Redis(config.REDIS_URL);
    throttle = new LoginThrottle(redis, new RedisKeys(config.REDIS_KEY_PREFIX), config, LIMITS);
  });

  beforeEach(() => deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX));

  after(async () => {
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
    await redis.quit();
  });

  it('admits the allowed failures for a username from one address, then refuses that pair for the rest of the window', async () => {
    for (let i = 0; i < LIMITS.failuresPerUsernameAndIp; i++) assert.equal(await fail('alice', '192.0.2.1'), true);
    const refused = await throttle.admit('alice', '192.0.2.1');
    assert.equal(refused.admitted, false);
    assert.ok(!refused.admitted && refused.retryAfterSeconds > 55 && refused.retryAfterSeconds <= 60, JSON.stringify(refused));
    assert.ok(!refused.admitted && refused.reason === 'failures');
    // Another username from the same address is not affected.
    assert.equal((await throttle.admit('bob', '192.0.2.1')).admitted, true);
  });

  it("one address's failures do not lock the account's owner out from another address", async () => {
    for (let i = 0; i < LIMITS.failuresPerUsernameAndIp + 5; i++) await fail('victim', '198.51.100.66');
    assert.equal((await throttle.admit('victim', '198.51.100.66')).admitted, false, 'the attacking pair is refused');
    const owner = await attempt('victim', '192.0.2.10');
    await throttle.succeeded(owner);
  });

  it('bounds a guess spread over many addresses with the per-username ceiling, which a known address is exempt from', async () => {
    // The owner logged in from 192.0.2.20 before: that address is known to the account.
    await throttle.succeeded(await attempt('carol', '192.0.2.20'));
    let admittedFailures = 0;
    for (let address = 1; address <= 10; address++) {
      for (let i = 0; i < LIMITS.failuresPerUsernameAndIp; i++) if (await fail('carol', `203.0.113.${address}`)) admittedFailures += 1;
    }
    assert.equal(admittedFailures, LIMITS.failuresPerUsername, 'no more failures than the ceiling from all addresses together');
    assert.equal((await throttle.admit('carol', '203.0.113.99')).admitted, false, 'a new address is refused at the ceiling');
    // The owner's known address still gets in, and the success does not reset the ceiling for the others.
    await throttle.succeeded(await attempt('carol', '192.0.2.20'));
    assert.equal((await throttle.admit('carol', '203.0.113.98')).admitted, false);
  });

  it('counts an IPv6 client per /64, and an IPv4-mapped address as its IPv4 address', async () => {
    for (let i = 1; i <= LIMITS.failuresPerUsernameAndIp; i++) assert.equal(await fail('dave', `2001:db8:1:2::${i.toString(16)}`), true);
    assert.equal((await throttle.admit('dave', '2001:db8:1:2:ffff::1')).admitted, false, 'another address of the same /64');
    assert.equal((await throttle.admit('dave', '2001:db8:1:3::1')).admitted, true, 'the next /64 is another client');
    for (let i = 0; i < LIMITS.failuresPerUsernameAndIp; i++) await fail('erin', '192.0.2.30');
    assert.equal((await throttle.admit('erin', '::ffff:192.0.2.30')).admitted, false);
  });

  it('counts a username regardless of case, as the database compares usernames', async () => {
    for (const name of ['Frank', 'FRANK', 'frank']) assert.equal(await fail(name, '192.0.2.1'), true);
    assert.equal((await throttle.admit('fRaNk', '192.0.2.1')).admitted, false);
  });

  it("a success forgives the pair's failures and gives the address its failure slot back", async () => {
    await fail('grace', '192.0.2.3');
    await fail('grace', '192.0.2.3');
    await throttle.succeeded(await attempt('grace', '192.0.2.3'));
    for (let i = 0; i < LIMITS.failuresPerUsernameAndIp; i++) {
      assert.equal(await fail('grace', '192.0.2.3'), true, `attempt ${i + 1} after the success`);
    }
    const ipCount = Number(await redis.get(`${config.REDIS_KEY_PREFIX}login-failures:ip:192.0.2.3`));
    assert.equal(ipCount, 2 + LIMITS.failuresPerUsernameAndIp, 'failures stay counted for the address, the success does not');
  });

  it('limits failures per address across usernames', async () => {
    for (let i = 0; i < LIMITS.failuresPerIp; i++) assert.equal(await fail(`user${i}`, '198.51.100.7'), true);
    assert.equal((await throttle.admit('someone-new', '198.51.100.7')).admitted, false);
    // The refused attempt did not use up the pair's or the username's allowance.
    assert.equal(await redis.exists(`${config.REDIS_KEY_PREFIX}login-failures:pair:someone-new:198.51.100.7`), 0);
    for (let i = 0; i < LIMITS.failuresPerUsernameAndIp; i++) assert.equal(await fail('someone-new', '198.51.100.8'), true);
  });

  it('limits successful logins per address, and failures do not use that allowance', async () => {
    for (let i = 0; i < 3; i++) await fail(`stable${i}`, '198.51.100.9');
    for (let i = 0; i < LIMITS.loginsPerIp; i++) await throttle.succeeded(await attempt(`stable${i}`, '198.51.100.9'));
    const refused = await throttle.admit('stable-next', '198.51.100.9');
    assert.ok(!refused.admitted && refused.reason === 'logins' && refused.retryAfterSeconds >= 1, JSON.stringify(refused));
    assert.equal((await throttle.admit('stable-next', '198.51.100.10')).admitted, true, 'another address is not affected');
  });

  it('exempts allowlisted addresses from the per-address limits, not from the per-username ones', async () => {
    for (let i = 0; i < LIMITS.failuresPerIp * 2; i++) assert.equal(await fail(`load${i}`, '10.1.2.3'), true);
    for (let i = 0; i < LIMITS.loginsPerIp * 2; i++) await throttle.succeeded(await attempt(`load${i}`, '10.1.2.3'));
    for (let i = 0; i < LIMITS.failuresPerUsernameAndIp; i++) await fail('heidi', '10.1.2.3');
    assert.equal((await throttle.admit('heidi', '10.1.2.3')).admitted, false);
  });

  it('lets no more than the limit through when attempts arrive all at once', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => throttle.admit('ivan', '203.0.113.9')));
    assert.equal(answers.filter((answer) => answer.admitted).length, LIMITS.failuresPerUsernameAndIp);
    const spread = await Promise.all(Array.from({ length: 40 }, (_, i) => throttle.admit('judy', `203.0.113.${100 + i}`)));
    assert.equal(spread.filter((answer) => answer.admitted).length, LIMITS.failuresPerUsername);
  });

  it('an abandoned attempt counts as nothing', async () => {
    for (let i = 0; i < 10; i++) await throttle.abandoned(await attempt('mallory', '203.0.113.10'));
    const left = await redis.keys(`${config.REDIS_KEY_PREFIX}*`);
    assert.deepEqual(left, []);
  });

  it('every key it leaves behind expires', async () => {
    await fail('niaj', '203.0.113.11');
    await throttle.succeeded(await attempt('niaj', '203.0.113.12'));
    const keys = await redis.keys(`${config.REDIS_KEY_PREFIX}*`);
    assert.ok(keys.some((key) => key.includes('login-known')), 'the known address is recorded');
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= LIMITS.knownAddressSeconds * 1000, `${key} expires (pttl ${ttl})`);
    }
  });
});
