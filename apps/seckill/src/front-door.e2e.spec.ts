import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Redis from 'ioredis';
import { Challenge, solveChallenge, Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { ActivityCache, ActivityRecord, ActivityRepository, NewActivity } from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { SwitchesService } from '@seckill/flow-control';
import { FrontDoorKeys, ProofOfWork, StaggerSchedule } from '@seckill/front-door';
import { AppConfig, REDIS, RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { call, createTestConfig, createTestDatabases, dropTestResources, mintToken, sleep, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

// The front door of the seckill service over HTTP, against real MariaDB and Redis: waiting room (two instances),
// staggered entry, participant cap, proof-of-work, limits on every endpoint, cacheable catalog reads.

const SECOND = 1000;
let config: AppConfig;
let seckill: TestApp;

type Place = { position: number; servingPosition: number; estimatedWaitSeconds: number; status: string };

async function createActivity(fields: Partial<NewActivity> & { startAt?: Date; endAt?: Date } = {}): Promise<ActivityRecord> {
  const now = Date.now();
  const record = await seckill.app.get(ActivityRepository, { strict: false }).create({
    title: 'front door',
    description: '',
    priceCents: 100,
    originalPriceCents: null,
    stock: 100,
    stockShards: 1,
    paymentTimeoutSeconds: 900,
    ...fields,
    startAt: fields.startAt ?? new Date(now - SECOND),
    endAt: fields.endAt ?? new Date(now + 3600 * SECOND),
  });
  await seckill.app.get(ActivityCache, { strict: false }).changed(record.id);
  await seckill.app.get(StockService, { strict: false }).prewarm(record);
  return record;
}

const token = (app: TestApp, id: number, user: number, body?: unknown) =>
  call<Record<string, unknown>>(`${app.url}/api/activities/${id}/token`, { method: 'POST', token: mintToken(config, user), body });
const join = (app: TestApp, id: number, user: number) =>
  call<Place>(`${app.url}/api/activities/${id}/queue`, { method: 'POST', token: mintToken(config, user) });
const place = (app: TestApp, id: number, user: number) => call<Place>(`${app.url}/api/activities/${id}/queue`, { token: mintToken(config, user) });
const purchase = (app: TestApp, id: number, user: number, purchaseToken: string) =>
  call<Record<string, unknown>>(`${app.url}/api/activities/${id}/purchase`, { token: mintToken(config, user), body: { token: purchaseToken } });

async function solve(encoded: string): Promise<Solution> {
  const challenge = JSON.parse(Buffer.from(encoded, 'base64url').toString()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  assert.ok(solution);
  return { counter: solution.counter, derivedKey: solution.derivedKey };
}

before(async () => {
  config = createTestConfig({
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
    RATE_LIMIT_TOKEN_PER_USER_PER_SECOND: '100',
    RATE_LIMIT_POLL_PER_USER_PER_SECOND: '100',
    WAITING_ROOM_INLET_MS: '100',
    SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    DATABASE_POOL_SIZE: '3',
  });
  await createTestDatabases(config);
  seckill = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
});

after(async () => {
  await seckill?.close();
  await dropTestResources(config);
});

describe('waiting room', () => {
  it('queues 2,000 shoppers with dense positions, admits them in order at the rate, once across two instances', async () => {
    const rate = 20;
    const activity = await createActivity({ waitingRoomEnabled: true, admitPerSecond: rate, startAt: new Date(Date.now() + 5 * SECOND) });
    const users = Array.from({ length: 2000 }, (_, i) => 100_000 + i);
    const joined = await Promise.all(users.map((user) => join(seckill, activity.id, user)));
    const odd = joined.find((answer) => answer.status !== 200 || answer.body.status !== 'WAITING');
    assert.equal(odd, undefined, `an unexpected answer to a join: ${odd?.status} ${JSON.stringify(odd?.body)}`);
    const positions = joined.map((answer) => answer.body.position).sort((a, b) => a - b);
    assert.deepEqual(positions, Array.from({ length: 2000 }, (_, i) => i + 1));
    const byPosition = new Map(joined.map((answer, i) => [answer.body.position, users[i]]));
    const again = await join(seckill, activity.id, users[0]);
    assert.equal(again.body.position, joined[0].body.position, 'joining again keeps the place');
    // Before the start: the estimate counts the time to the start, and the token is refused either way.
    assert.ok(joined[0].body.estimatedWaitSeconds >= 1);

    const second = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
    try {
      await waitFor(async () => (await place(seckill, activity.id, byPosition.get(1)!)).body.status === 'ADMITTED', 5000, 'the first admission');
      const first = byPosition.get(1)!;
      const last = byPosition.get(2000)!;
      const early = await token(second, activity.id, last);
      assert.equal(early.status, 409);
      assert.equal(early.body.code, 'NOT_ADMITTED');
      assert.equal(early.body.position, 2000);
      assert.ok(Number(early.headers.get('retry-after')) >= 1);

      // Both instances run the inlet's timer; the lease lets one of them admit, at the rate.
      const t1 = Date.now();
      const s1 = (await place(second, activity.id, last)).body.servingPosition;
      await sleep(3 * SECOND);
      const t2 = Date.now();
      const s2 = (await place(second, activity.id, last)).body.servingPosition;
      const expected = (rate * (t2 - t1)) / SECOND;
      assert.ok(s2 - s1 <= expected + rate * 0.5, `admitted ${s2 - s1} in ${t2 - t1} ms at ${rate}/s`);
      assert.ok(s2 - s1 >= expected - rate * 0.5, `admitted only ${s2 - s1} in ${t2 - t1} ms at ${rate}/s`);

      // In order: everyone up to the serving position is admitted, the next one waits.
      const served = await place(second, activity.id, byPosition.get(s2)!);
      assert.equal(served.body.status, 'ADMITTED');
      const nextOne = await place(second, activity.id, byPosition.get(s2 + 5)!);
      assert.equal(nextOne.body.status, 'WAITING');
      assert.ok(nextOne.body.estimatedWaitSeconds >= 1);

      // The first admitted shopper gets a token on either instance and buys.
      const issued = await token(second, activity.id, first);
      assert.equal(issued.status, 200);
      assert.equal((await purchase(seckill, activity.id, first, String(issued.body.token))).status, 202);

      // The leader goes away: the other instance takes the inlet over once the lease lapses.
      await seckill.close();
      const s3 = (await place(second, activity.id, last)).body.servingPosition;
      await waitFor(async () => (await place(second, activity.id, last)).body.servingPosition > s3 + rate, 5000, 'the other instance to admit');
    } finally {
      await second.close();
      seckill = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
    }
  });

  it('closes the room at once when the last unit sells, and refuses tokens to those still waiting', async () => {
    const activity = await createActivity({ stock: 1, waitingRoomEnabled: true, admitPerSecond: 1 });
    assert.equal((await join(seckill, activity.id, 501)).body.position, 1);
    assert.equal((await join(seckill, activity.id, 502)).body.position, 2);
    await waitFor(async () => (await place(seckill, activity.id, 501)).body.status === 'ADMITTED', 5000, 'admission');
    const issued = await token(seckill, activity.id, 501);
    assert.equal(issued.status, 200);
    assert.equal((await purchase(seckill, activity.id, 501, String(issued.body.token))).status, 202);
    const closed = await place(seckill, activity.id, 502);
    assert.deepEqual([closed.body.status, closed.body.position, closed.body.estimatedWaitSeconds], ['CLOSED', 2, 0]);
    assert.equal((await join(seckill, activity.id, 503)).body.status, 'CLOSED');
    const refused = await token(seckill, activity.id, 502);
    assert.equal(refused.status, 410);
    assert.equal(refused.body.code, 'SOLD_OUT');
  });

  it('answers 404 for the waiting room of an activity that has none, or a shopper who never joined', async () => {
    const plain = await createActivity();
    const none = await join(seckill, plain.id, 1);
    assert.equal(none.status, 404);
    assert.equal((none.body as unknown as { code: string }).code, 'NOT_FOUND');
    const room = await createActivity({ waitingRoomEnabled: true, admitPerSecond: 5 });
    assert.equal((await place(seckill, room.id, 2)).status, 404);
    assert.equal((await call(`${seckill.url}/api/activities/${room.id}/queue`, { method: 'POST' })).status, 401);
    // With every setting off the token endpoint is what it was: no queue, no challenge.
    assert.equal((await token(seckill, plain.id, 3)).status, 200);
  });
});

describe('staggered entry', () => {
  it('opens each shopper\'s token at the start plus their offset, telling them when with Retry-After', async () => {
    const staggerSeconds = 3;
    const startAt = Date.now() + 500;
    const activity = await createActivity({ staggerSeconds, startAt: new Date(startAt) });
    const schedule = new StaggerSchedule(config.JWT_SECRET);
    const users = Array.from({ length: 24 }, (_, i) => 700 + i);
    await sleep(Math.max(0, startAt - Date.now()));
    await Promise.all(
      users.map(async (user) => {
        const opensAt = startAt + schedule.offsetMs(activity.id, String(user), staggerSeconds);
        for (;;) {
          const sent = Date.now();
          const answer = await token(seckill, activity.id, user);
          if (answer.status === 200) {
            assert.ok(Date.now() >= opensAt, `user ${user} got a token ${opensAt - Date.now()} ms before their turn`);
            return;
          }
          assert.equal(answer.status, 409, JSON.stringify(answer.body));
          assert.equal(answer.body.code, 'NOT_STARTED');
          assert.ok(sent < opensAt + 50, `user ${user} refused ${sent - opensAt} ms after their turn`);
          const retryAfter = Number(answer.headers.get('retry-after'));
          // The server's clock read a moment after `sent`: its answer may round to one second less.
          const expected = Math.max(1, Math.ceil((opensAt - sent) / SECOND));
          assert.ok(retryAfter >= 1 && retryAfter <= expected && retryAfter >= expected - 1, `user ${user}: Retry-After ${retryAfter}, expected ${expected}`);
          await sleep(Math.min(200, Math.max(10, opensAt - Date.now())));
        }
      }),
    );
  });
});

describe('participant cap', () => {
  it('gives tokens to exactly 100 of 500 concurrent shoppers, 410 FULL to the rest, and again to a holder', async () => {
    const activity = await createActivity({ maxParticipants: 100 });
    const users = Array.from({ length: 500 }, (_, i) => 20_000 + i);
    const answers = await Promise.all(users.map((user) => token(seckill, activity.id, user)));
    assert.equal(answers.filter((a) => a.status === 200).length, 100);
    const refused = answers.filter((a) => a.status !== 200);
    assert.equal(refused.length, 400);
    assert.ok(refused.every((a) => a.status === 410 && a.body.code === 'FULL' && a.body.retryable === false));
    const holder = users[answers.findIndex((a) => a.status === 200)];
    assert.equal((await token(seckill, activity.id, holder)).status, 200);
  });
});

describe('proof-of-work challenge', () => {
  it('issues a token for a solved challenge once; missing, wrong, reused, foreign or expired answers change nothing', async () => {
    const activity = await createActivity({ challengeDifficulty: 3000, maxParticipants: 10 });
    const user = 901;
    const fetched = await call<{ challenge: string; difficulty: number; expiresIn: number }>(
      `${seckill.url}/api/activities/${activity.id}/challenge`,
      { token: mintToken(config, user) },
    );
    assert.equal(fetched.status, 200);
    assert.deepEqual([fetched.body.difficulty, fetched.body.expiresIn], [3000, config.CHALLENGE_TTL_SECONDS]);
    const solution = await solve(fetched.body.challenge);
    const participants = () => seckill.app.get<Redis>(REDIS, { strict: false }).scard(new FrontDoorKeys(new RedisKeys(config.REDIS_KEY_PREFIX), activity.id).participants);

    const wrong = { ...solution, derivedKey: (solution.derivedKey.startsWith('0') ? '1' : '0') + solution.derivedKey.slice(1) };
    const otherUsers = await call<{ challenge: string }>(`${seckill.url}/api/activities/${activity.id}/challenge`, { token: mintToken(config, 902) });
    const expired = await new ProofOfWork(config.JWT_SECRET, config.CHALLENGE_TTL_SECONDS).issue(activity.id, String(user), 100, Date.now() - 3600 * SECOND);
    const failures: Array<[string, unknown]> = [
      ['missing', undefined],
      ['no solution', { challenge: fetched.body.challenge }],
      ['wrong', { challenge: fetched.body.challenge, solution: wrong }],
      ["another shopper's", { challenge: otherUsers.body.challenge, solution: await solve(otherUsers.body.challenge) }],
      ['expired', { challenge: expired.challenge, solution: await solve(expired.challenge) }],
    ];
    for (const [label, body] of failures) {
      const answer = await token(seckill, activity.id, user, body);
      assert.equal(answer.status, 400, label);
      assert.equal(answer.body.code, 'CHALLENGE_FAILED', label);
    }
    assert.equal(await participants(), 0, 'refused answers count nobody');

    const issued = await token(seckill, activity.id, user, { challenge: fetched.body.challenge, solution });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const reused = await token(seckill, activity.id, user, { challenge: fetched.body.challenge, solution });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.code, 'CHALLENGE_FAILED');
    assert.match(String(reused.body.message), /already used/);
    assert.equal(await participants(), 1);

    const malformed = await token(seckill, activity.id, user, { challenge: 'x', solution: { counter: -1, derivedKey: 'XY' } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'VALIDATION_FAILED');
    const plain = await createActivity();
    assert.equal((await call(`${seckill.url}/api/activities/${plain.id}/challenge`, { token: mintToken(config, user) })).status, 404);
  });
});

describe('limits on every endpoint', () => {
  it('answers 429 with Retry-After past the per-address limit of each endpoint, and past the per-user ones', async () => {
    const limited = Object.assign(new AppConfig(), config, {
      RATE_LIMIT_IP_ALLOWLIST: [],
      TRUSTED_PROXIES: ['127.0.0.1'],
      RATE_LIMIT_READS_PER_IP_PER_SECOND: 2,
      RATE_LIMIT_TOKEN_PER_USER_PER_SECOND: 1,
      RATE_LIMIT_POLL_PER_USER_PER_SECOND: 1,
      RATE_LIMIT_PER_IP_PER_SECOND: 2,
    });
    const app = await startTestApp('seckill', AppModule.register(limited), limited, configureSeckill);
    try {
      const activity = await createActivity({ waitingRoomEnabled: true, admitPerSecond: 100, challengeDifficulty: 10 });
      const id = activity.id;
      const endpoints: Array<[string, string, boolean]> = [
        ['GET', '/api/activities', false],
        ['GET', `/api/activities/${id}`, false],
        ['GET', `/api/activities/${id}/stock`, false],
        ['GET', '/api/client-config', false],
        ['POST', `/api/activities/${id}/token`, true],
        ['GET', `/api/activities/${id}/challenge`, true],
        ['POST', `/api/activities/${id}/queue`, true],
        ['GET', `/api/activities/${id}/queue`, true],
        ['GET', `/api/activities/${id}/result`, true],
      ];
      // Each endpoint from its own address (the test is a trusted proxy), with a fresh user: per-address limit, burst 4.
      for (const [index, [method, path, auth]] of endpoints.entries()) {
        const statuses: number[] = [];
        let limitedAnswer: Awaited<ReturnType<typeof call<Record<string, unknown>>>> | undefined;
        for (let i = 0; i < 5; i++) {
          const answer = await call(`${app.url}${path}`, {
            method,
            token: auth ? mintToken(config, 30_000 + index * 10 + i) : undefined,
            headers: { 'x-forwarded-for': `198.51.100.${index + 1}` },
          });
          statuses.push(answer.status);
          if (answer.status === 429) limitedAnswer = answer;
        }
        assert.equal(statuses[4], 429, `${method} ${path}: ${statuses.join(',')}`);
        assert.ok(limitedAnswer && limitedAnswer.body.code === 'RATE_LIMITED' && Number(limitedAnswer.headers.get('retry-after')) >= 1);
      }
      // One user from many addresses: per-user limits on token requests and polls (burst 2).
      for (const [index, [method, path]] of [
        ['POST', `/api/activities/${id}/token`],
        ['GET', `/api/activities/${id}/result`],
        ['POST', `/api/activities/${id}/queue`],
      ].entries()) {
        const statuses = [];
        for (let i = 0; i < 3; i++) {
          const answer = await call(`${app.url}${path}`, {
            method,
            token: mintToken(config, 40_000 + index),
            headers: { 'x-forwarded-for': `203.0.113.${index * 10 + i + 1}` },
          });
          statuses.push(answer.status);
        }
        assert.equal(statuses[2], 429, `${method} ${path} per user: ${statuses.join(',')}`);
      }
      // An IPv6 client is one client per /64: requests from other addresses of the same /64 share one allowance, at
      // the reads and at the purchase alike (burst 4 each); the next /64 is another client.
      for (const [index, [method, path, body]] of (
        [
          ['GET', `/api/activities/${id}/stock`, undefined],
          ['POST', `/api/activities/${id}/purchase`, { token: 'not-a-real-token' }],
        ] as Array<[string, string, unknown]>
      ).entries()) {
        const statuses = [];
        for (let i = 0; i < 5; i++) {
          const answer = await call(`${app.url}${path}`, {
            method,
            body,
            token: mintToken(config, 50_000 + index * 10 + i),
            headers: { 'x-forwarded-for': `2001:db8:${index + 1}:0:${(i * 4099).toString(16)}::${i + 1}` },
          });
          statuses.push(answer.status);
        }
        assert.equal(statuses[4], 429, `${method} ${path} per /64: ${statuses.join(',')}`);
        const nextNetwork = await call(`${app.url}${path}`, {
          method,
          body,
          token: mintToken(config, 50_100 + index),
          headers: { 'x-forwarded-for': `2001:db8:${index + 1}:1::1` },
        });
        assert.notEqual(nextNetwork.status, 429, `${method} ${path} from the next /64`);
      }
    } finally {
      await app.close();
    }
  });
});

describe('catalog reads', () => {
  it('carry Cache-Control and an ETag, answer 304 to a matching If-None-Match, and read stock from memory', async () => {
    const activity = await createActivity({ stock: 7 });
    const url = `${seckill.url}/api/activities/${activity.id}`;
    const first = await fetch(url);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'public, max-age=1');
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^W\/"[A-Za-z0-9_-]+"$/);
    const revalidated = await fetch(url, { headers: { 'if-none-match': etag! } });
    assert.equal(revalidated.status, 304);
    assert.equal(await revalidated.text(), '');
    for (const path of ['/api/activities', `/api/activities/${activity.id}/stock`]) {
      const response = await fetch(`${seckill.url}${path}`);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=1', path);
      assert.ok(response.headers.get('etag'), path);
    }
    // A purchase shows in the stock within the snapshot's period, and the ETag changes with it.
    const issued = await token(seckill, activity.id, 1201);
    assert.equal((await purchase(seckill, activity.id, 1201, String(issued.body.token))).status, 202);
    await waitFor(async () => (await call<ActivityView>(url)).body.remaining === 6, 2000, 'the snapshot to refresh', 20);
    assert.notEqual((await fetch(url)).headers.get('etag'), etag);
    // Another instance serves reads from memory even with Redis gone.
    const other = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
    try {
      assert.equal((await call<{ remaining: number }>(`${other.url}/api/activities/${activity.id}/stock`)).body.remaining, 6);
      await sleep(300);
      other.app.get<Redis>(REDIS, { strict: false }).disconnect();
      for (let i = 0; i < 5; i++) {
        const answer = await call<{ remaining: number }>(`${other.url}/api/activities/${activity.id}/stock`);
        assert.deepEqual([answer.status, answer.body.remaining], [200, 6]);
      }
    } finally {
      await other.close();
    }
  });

  it('serves the client config from the switches, cacheable for 5 s, with the server clock', async () => {
    const switches = seckill.app.get(SwitchesService, { strict: false });
    await switches.set('clientDropPercent', 30);
    try {
      const response = await fetch(`${seckill.url}/api/client-config`);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=5');
      const body = (await response.json()) as Record<string, number>;
      assert.equal(body.dropPercent, 30);
      assert.equal(body.resultPollMs, 1000);
      assert.equal(body.clickThrottleMs, 5000);
      assert.ok(Math.abs(body.serverTime - Date.now()) < 5000);
    } finally {
      await switches.set('clientDropPercent', 0);
    }
  });
});
