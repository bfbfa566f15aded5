import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '@seckill/auth';
import { SwitchesService } from '@seckill/flow-control';
import { CORE_DB } from '@seckill/platform';
import type { PrismaClient } from '@seckill/platform';
import {
  call,
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  mintToken,
  startTestApp,
  TestApp,
} from '@seckill/testing';
import { AppModule } from './app.module';

const ADMIN = { username: 'boss', password: 'admin-secret-password' };
// Enough password-hash slots for the concurrent registrations below (the cap has its own test, auth-limits).
const config = createTestConfig({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, PASSWORD_HASH_MAX_CONCURRENT: '32' });

interface ErrorBody {
  code: string;
  message: string;
  retryable: boolean;
  details?: Array<{ field: string; problems: string[] }>;
}
interface Token {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
}

describe('auth service (real MariaDB and Redis)', () => {
  let service: TestApp;
  let url: string;
  let db: PrismaClient;

  const register = (body: unknown) => call(`${url}/api/auth/register`, { method: 'POST', body });
  const login = (body: unknown, headers?: Record<string, string>) => call(`${url}/api/auth/login`, { method: 'POST', body, headers });
  const me = (token?: string) => call(`${url}/api/auth/me`, { token });
  const userCount = (username: string) => db.user.count({ where: { username } });

  function assertError(response: { status: number; body: unknown }, status: number, code: string): ErrorBody {
    const body = response.body as ErrorBody;
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.code, code);
    assert.equal(typeof body.message, 'string');
    assert.equal(typeof body.retryable, 'boolean');
    return body;
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

  it('registers, logs in and answers /me', async () => {
    const registered = await register({ username: 'alice', password: 'alice-password' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.match(String(registered.body.id), /^[1-9][0-9]*$/);
    assert.equal(typeof registered.body.id, 'string');
    assert.deepEqual(Object.keys(registered.body).sort(), ['id', 'username']);
    assert.equal(registered.body.username, 'alice');

    const stored = await db.user.findUniqueOrThrow({ where: { username: 'alice' } });
    assert.ok(stored.passwordHash.startsWith('scrypt$16384$8$1$'), 'stored as a salted scrypt hash');
    assert.ok(!stored.passwordHash.includes('alice-password'));

    const loggedIn = await login({ username: 'alice', password: 'alice-password' });
    assert.equal(loggedIn.status, 200, JSON.stringify(loggedIn.body));
    const token = loggedIn.body as unknown as Token;
    assert.equal(token.tokenType, 'Bearer');
    assert.equal(token.expiresIn, config.JWT_EXPIRES_IN_SECONDS);
    const claims = jwt.verify(token.accessToken, config.JWT_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    assert.equal(claims.sub, registered.body.id);
    assert.equal(claims.role, 'user');

    const whoami = await me(token.accessToken);
    assert.equal(whoami.status, 200);
    assert.deepEqual(whoami.body, { id: registered.body.id, username: 'alice', role: 'user' });
  });

  it('refuses an existing username with 409 USERNAME_TAKEN, whatever its case', async () => {
    assert.equal((await register({ username: 'bob', password: 'bob-password' })).status, 201);
    assertError(await register({ username: 'bob', password: 'other-password' }), 409, 'USERNAME_TAKEN');
    assertError(await register({ username: 'BOB', password: 'other-password' }), 409, 'USERNAME_TAKEN');
    assert.equal(await userCount('bob'), 1);
    // The original password still works: the refused registration changed nothing.
    assert.equal((await login({ username: 'bob', password: 'bob-password' })).status, 200);
  });

  it('lets exactly one of several concurrent registrations of a name succeed', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => register({ username: 'racer', password: `racer-password-${i}` })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409, 409]);
    assert.equal(await userCount('racer'), 1);
  });

  it('answers 400 VALIDATION_FAILED with details to bad bodies, and creates no user', async () => {
    const cases: Array<{ body: unknown; fields: string[]; username?: string }> = [
      { body: { username: 'carol', password: 'short' }, fields: ['password'], username: 'carol' },
      { body: { username: 'carol', password: 'x'.repeat(129) }, fields: ['password'], username: 'carol' },
      { body: { username: 'bad name!', password: 'long-enough' }, fields: ['username'], username: 'bad name!' },
      { body: { username: 'ab', password: 'long-enough' }, fields: ['username'], username: 'ab' },
      { body: { username: 'a'.repeat(33), password: 'long-enough' }, fields: ['username'] },
      { body: { username: 'carol', password: 'long-enough', role: 'admin' }, fields: ['role'], username: 'carol' },
      { body: {}, fields: ['username', 'password'] },
      { body: { username: 'carol' }, fields: ['password'], username: 'carol' },
      { body: { username: 12345, password: true }, fields: ['username', 'password'] },
      { body: { username: ['carol'], password: { long: 'enough!!' } }, fields: ['username', 'password'] },
    ];
    for (const { body, fields, username } of cases) {
      const answer = assertError(await register(body), 400, 'VALIDATION_FAILED');
      assert.equal(answer.retryable, false);
      assert.ok(Array.isArray(answer.details), `details for ${JSON.stringify(body)}`);
      assert.deepEqual(answer.details.map((d) => d.field).sort(), [...fields].sort(), JSON.stringify(answer.details));
      for (const detail of answer.details) assert.ok(detail.problems.length > 0);
      if (username !== undefined) assert.equal(await userCount(username), 0, `no user from ${JSON.stringify(body)}`);
    }
    assert.equal(await db.user.count({ where: { username: { startsWith: 'car' } } }), 0);
  });

  it('answers 400 rather than 5xx to bodies that are not objects', async () => {
    for (const body of [null, [], 'alice', 42]) {
      const answer = await register(body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(answer.body)}`);
      assert.equal((answer.body as unknown as ErrorBody).code, 'VALIDATION_FAILED');
    }
    const loginAnswer = await login({ username: 'alice' });
    assertError(loginAnswer, 400, 'VALIDATION_FAILED');
  });

  it('answers a wrong password and an unknown username with the same 401', async () => {
    assert.equal((await register({ username: 'dave', password: 'dave-password' })).status, 201);
    const wrongPassword = assertError(await login({ username: 'dave', password: 'not-daves-password' }), 401, 'UNAUTHENTICATED');
    const unknownUser = assertError(await login({ username: 'nobody-here', password: 'dave-password' }), 401, 'UNAUTHENTICATED');
    assert.deepEqual(wrongPassword, unknownUser);
  });

  it(`rate limits a username from one address after ${DEFAULT_LOGIN_THROTTLE_LIMITS.failuresPerUsernameAndIp} failures, even with the right password`, async () => {
    assert.equal((await register({ username: 'erin', password: 'erin-password' })).status, 201);
    // A success forgives earlier failures.
    assertError(await login({ username: 'erin', password: 'wrong-password' }), 401, 'UNAUTHENTICATED');
    assert.equal((await login({ username: 'erin', password: 'erin-password' })).status, 200);

    for (let i = 0; i < DEFAULT_LOGIN_THROTTLE_LIMITS.failuresPerUsernameAndIp; i++) {
      assertError(await login({ username: 'erin', password: `wrong-password-${i}` }), 401, 'UNAUTHENTICATED');
    }
    const limited = await login({ username: 'erin', password: 'erin-password' });
    const body = assertError(limited, 429, 'RATE_LIMITED');
    assert.equal(body.retryable, true);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= DEFAULT_LOGIN_THROTTLE_LIMITS.windowSeconds, `Retry-After ${retryAfter}`);
    // Other accounts are unaffected.
    assert.equal((await login({ username: 'alice', password: 'alice-password' })).status, 200);
  });

  it('answers 503 DEGRADED to registrations while the switch is off, and keeps logins working', async () => {
    const switches = service.app.get(SwitchesService);
    await switches.set('registration', false);
    try {
      const closed = await register({ username: 'frank', password: 'frank-password' });
      const body = assertError(closed, 503, 'DEGRADED');
      assert.equal(body.retryable, true);
      assert.ok(Number(closed.headers.get('retry-after')) >= 1);
      assert.equal(await userCount('frank'), 0);
      assert.equal((await login({ username: 'alice', password: 'alice-password' })).status, 200);
    } finally {
      await switches.set('registration', true);
    }
    assert.equal((await register({ username: 'frank', password: 'frank-password' })).status, 201);
  });

  it('ensures the admin account at boot: it logs in with role admin', async () => {
    const loggedIn = await login(ADMIN);
    assert.equal(loggedIn.status, 200, JSON.stringify(loggedIn.body));
    const whoami = await me((loggedIn.body as unknown as Token).accessToken);
    assert.equal(whoami.status, 200);
    assert.equal(whoami.body.username, ADMIN.username);
    assert.equal(whoami.body.role, 'admin');
  });

  it('repairs a demoted admin with a changed password when instances start, several at once', async () => {
    await db.user.update({ where: { username: ADMIN.username }, data: { role: 'user', passwordHash: 'scrypt$garbage' } });
    const others = await Promise.all([1, 2].map(() => startTestApp('auth', AppModule.register(config), config)));
    try {
      const loggedIn = await login(ADMIN);
      assert.equal(loggedIn.status, 200, JSON.stringify(loggedIn.body));
      assert.equal((await me((loggedIn.body as unknown as Token).accessToken)).body.role, 'admin');
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('creates the admin exactly once when several instances start together on a database without it', async () => {
    await db.user.delete({ where: { username: ADMIN.username } });
    const others = await Promise.all([1, 2, 3].map(() => startTestApp('auth', AppModule.register(config), config)));
    try {
      assert.equal(await userCount(ADMIN.username), 1);
      const admin = await db.user.findUniqueOrThrow({ where: { username: ADMIN.username } });
      assert.equal(admin.role, 'admin');
      assert.equal((await login(ADMIN)).status, 200);
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('answers /me with 401 to a missing, malformed, forged or expired token, or one for a deleted user', async () => {
    assertError(await me(), 401, 'UNAUTHENTICATED');
    assertError(await me('not-a-jwt'), 401, 'UNAUTHENTICATED');
    const noScheme = await call(`${url}/api/auth/me`, { headers: { authorization: mintToken(config, 1) } });
    assertError(noScheme, 401, 'UNAUTHENTICATED');

    const alice = await db.user.findUniqueOrThrow({ where: { username: 'alice' } });
    const forged = jwt.sign({ role: 'admin' }, 'some-other-secret-that-is-long-enough-0123', {
      algorithm: 'HS256',
      subject: alice.id.toString(),
      expiresIn: 3600,
    });
    assertError(await me(forged), 401, 'UNAUTHENTICATED');
    const expired = jwt.sign({ role: 'user', exp: Math.floor(Date.now() / 1000) - 60 }, config.JWT_SECRET, {
      algorithm: 'HS256',
      subject: alice.id.toString(),
    });
    assertError(await me(expired), 401, 'UNAUTHENTICATED');
    assert.equal((await me(mintToken(config, alice.id.toString()))).status, 200);

    const ghost = await register({ username: 'ghost', password: 'ghost-password' });
    const ghostToken = ((await login({ username: 'ghost', password: 'ghost-password' })).body as unknown as Token).accessToken;
    assert.equal((await me(ghostToken)).status, 200);
    await db.user.delete({ where: { id: BigInt(String(ghost.body.id)) } });
    assertError(await me(ghostToken), 401, 'UNAUTHENTICATED');
    assertError(await me(mintToken(config, '9223372036854775807')), 401, 'UNAUTHENTICATED');
    assertError(await me(mintToken(config, '99999999999999999999')), 401, 'UNAUTHENTICATED');
  });

  it('counts logins by outcome in /metrics', async () => {
    const metrics = await fetch(`${url}/metrics`).then((response) => response.text());
    assert.match(metrics, /auth_logins_total\{outcome="success"\} [1-9]/);
    assert.match(metrics, /auth_logins_total\{outcome="wrong_credentials"\} [1-9]/);
    assert.match(metrics, /auth_logins_total\{outcome="throttled"\} [1-9]/);
  });
});
