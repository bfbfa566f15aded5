import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '@seckill/auth';
import { CORE_DB } from '@seckill/platform';
import type { PrismaClient } from '@seckill/platform';
import { call, createTestConfig, createTestDatabases, dropTestResources, startTestApp, TestApp } from '@seckill/testing';
import { AppModule } from './app.module';

// The test talks to the service from 127.0.0.1, a trusted proxy here, so each request says which client it is
// for in X-Forwarded-For (as the gateway does).
const REGISTRATIONS_PER_ADDRESS = 3;
const HASH_SLOTS = 4;
const config = createTestConfig({
  TRUSTED_PROXIES: '127.0.0.1',
  RATE_LIMIT_REGISTER_PER_IP_PER_HOUR: String(REGISTRATIONS_PER_ADDRESS),
  PASSWORD_HASH_MAX_CONCURRENT: String(HASH_SLOTS),
});

interface ErrorBody {
  code: string;
  message: string;
  retryable: boolean;
}

describe('auth service limits: logins per pair, registrations per address, password hashes per process (real MariaDB and Redis)', () => {
  let service: TestApp;
  let url: string;
  let db: PrismaClient;

  const from = (address: string) => ({ 'x-forwarded-for': address });
  const register = (username: string, address: string, password = `${username}-password`) =>
    call(`${url}/api/auth/register`, { method: 'POST', body: { username, password }, headers: from(address) });
  const login = (username: string, password: string, address: string) =>
    call(`${url}/api/auth/login`, { method: 'POST', body: { username, password }, headers: from(address) });

  function assertLimited(response: { status: number; body: unknown; headers: Headers }, status: number, code: string, maxRetryAfter: number): void {
    const body = response.body as ErrorBody;
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.code, code);
    assert.equal(body.retryable, true);
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= maxRetryAfter, `Retry-After ${response.headers.get('retry-after')}`);
  }

  before(async () => {
    await createTestDatabases(config);
    service = await startTestApp('auth', AppModule.register(config), config);
    url = service.url;
    db = service.app.get<PrismaClient>(CORE_DB);
  });

  after(async () => {
    await service?.close();
    await dropTestResources(config);
  });

  it('limits registrations per client address with 429 and Retry-After, and creates no user past the limit', async () => {
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS; i++) assert.equal((await register(`reg-a${i}`, '198.51.100.1')).status, 201);
    assertLimited(await register('reg-a-over', '198.51.100.1'), 429, 'RATE_LIMITED', 3600);
    assert.equal(await db.user.count({ where: { username: 'reg-a-over' } }), 0);
    // The same client written as an IPv4-mapped IPv6 address is the same client.
    assertLimited(await register('reg-a-mapped', '::ffff:198.51.100.1'), 429, 'RATE_LIMITED', 3600);
    assert.equal((await register('reg-b0', '198.51.100.2')).status, 201, 'another address is not affected');
  });

  it('limits an IPv6 client per /64: other addresses of its network share its count, the next /64 does not', async () => {
    for (let i = 1; i <= REGISTRATIONS_PER_ADDRESS; i++) {
      assert.equal((await register(`reg-v6-${i}`, `2001:db8:5:6::${i}`)).status, 201);
    }
    assertLimited(await register('reg-v6-over', '2001:db8:5:6:abcd:1234:5678:9abc'), 429, 'RATE_LIMITED', 3600);
    assert.equal((await register('reg-v6-next', '2001:db8:5:7::1')).status, 201);
  });

  it("one address's failed logins cannot lock the account's owner out from another address", async () => {
    assert.equal((await register('victim', '192.0.2.50', 'victim-password')).status, 201);
    for (let i = 0; i < DEFAULT_LOGIN_THROTTLE_LIMITS.failuresPerUsernameAndIp; i++) {
      assert.equal((await login('victim', `guess-${i}`, '203.0.113.66')).status, 401);
    }
    // The attacking pair is refused, even with the right password...
    assertLimited(await login('victim', 'victim-password', '203.0.113.66'), 429, 'RATE_LIMITED', DEFAULT_LOGIN_THROTTLE_LIMITS.windowSeconds);
    // ... and so is any other address of the attacker's IPv6 /64 once that /64 has used its allowance.
    for (let i = 0; i < DEFAULT_LOGIN_THROTTLE_LIMITS.failuresPerUsernameAndIp; i++) {
      assert.equal((await login('victim', `guess-v6-${i}`, `2001:db8:66::${i + 1}`)).status, 401);
    }
    assertLimited(await login('victim', 'victim-password', '2001:db8:66::ffff'), 429, 'RATE_LIMITED', DEFAULT_LOGIN_THROTTLE_LIMITS.windowSeconds);
    // The owner, elsewhere, logs in.
    const owner = await login('victim', 'victim-password', '192.0.2.50');
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.equal(owner.headers.get('cache-control'), 'no-store', 'an access token is never cached');
  });

  it('answers tokens and accounts with Cache-Control: no-store', async () => {
    const registered = await register('nostore', '192.0.2.51');
    assert.equal(registered.status, 201);
    assert.equal(registered.headers.get('cache-control'), 'no-store');
    const loggedIn = await login('nostore', 'nostore-password', '192.0.2.51');
    const token = (loggedIn.body as { accessToken: string }).accessToken;
    const me = await call(`${url}/api/auth/me`, { token });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.equal(me.headers.get('x-content-type-options'), 'nosniff');
  });

  it('caps concurrent password hashes: a register burst answers 503 BUSY past its share, and logins keep working', async () => {
    assert.equal((await register('steady', '192.0.2.60', 'steady-password')).status, 201);
    // Forty sign-ups at once, each from its own address so that only the hash cap can refuse them, and meanwhile
    // as many logins at once as the slots registrations may never take.
    const burst = Promise.all(Array.from({ length: 40 }, (_, i) => register(`burst${i}`, `198.18.${Math.floor(i / 200)}.${(i % 200) + 1}`)));
    const logins = Promise.all(Array.from({ length: HASH_SLOTS / 2 }, () => login('steady', 'steady-password', '192.0.2.60')));
    const [registrations, loggedIn] = await Promise.all([burst, logins]);

    for (const answer of loggedIn) assert.equal(answer.status, 200, `a login during the burst: ${JSON.stringify(answer.body)}`);
    const busy = registrations.filter((answer) => answer.status === 503);
    const created = registrations.filter((answer) => answer.status === 201);
    assert.equal(busy.length + created.length, registrations.length, JSON.stringify(registrations.map((answer) => answer.status)));
    assert.ok(busy.length > 0, 'past its share of the slots, the burst is refused');
    assert.ok(created.length >= 1);
    for (const answer of busy) assertLimited(answer, 503, 'BUSY', 5);
    assert.equal(await db.user.count({ where: { username: { startsWith: 'burst' } } }), created.length, 'a refused sign-up creates nothing');
    // Once the burst is over, sign-ups go through again.
    assert.equal((await register('after-burst', '192.0.2.61')).status, 201);
  });
});
