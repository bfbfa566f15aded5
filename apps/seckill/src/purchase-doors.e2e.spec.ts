import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ActivityCache, ActivityRepository } from '@seckill/activities';
import { SwitchesService } from '@seckill/flow-control';
import { AppConfig, MetricsService } from '@seckill/platform';
import { PurchaseTokens } from '@seckill/seckill';
import {
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  mintToken,
  rawRequest,
  RawResponse,
  startTestApp,
  TestApp,
  waitFor,
} from '@seckill/testing';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

// The purchase endpoint has two doors: the fast path (the sold-out gate ahead of Fastify, then Fastify hooks) and
// ActivitiesController (Nest's pipeline). The same requests, sent to an instance with the fast path and to one
// without, must get the same answers: status, body and Retry-After, whatever is wrong with them and in whichever order
// the checks could have been made.

const HOUR = 3600_000;
let config: AppConfig;
let fast: TestApp;
let slow: TestApp;
let tokens: PurchaseTokens;
/** Purchase requests that reached Fastify at the fast instance (those the sold-out gate answered did not). */
let reachedFastify = 0;

interface Answer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

function answer(response: RawResponse): Answer {
  return { status: response.status, body: response.text ? JSON.parse(response.text) : undefined, retryAfter: response.headers.get('retry-after') };
}

interface Attempt {
  activityId: number | string;
  userId?: number;
  /** The access token, when not one minted for userId. */
  bearer?: string;
  body?: string;
  contentType?: string;
}

async function send(app: TestApp, attempt: Attempt): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (attempt.bearer !== undefined) headers.authorization = attempt.bearer;
  else if (attempt.userId !== undefined) headers.authorization = `Bearer ${mintToken(config, attempt.userId)}`;
  return answer(
    await rawRequest(`${app.url}/api/activities/${attempt.activityId}/purchase`, {
      method: 'POST',
      body: attempt.body,
      contentType: attempt.contentType ?? (attempt.body === undefined ? undefined : 'application/json'),
      headers,
    }),
  );
}

/** Sends the attempt to both doors and asserts they answer alike; returns the answer. */
async function bothDoors(label: string, attempt: Attempt): Promise<Answer> {
  const viaFast = await send(fast, attempt);
  const viaController = await send(slow, attempt);
  assert.deepEqual(viaFast, viaController, `${label}: the fast path and the controller disagree`);
  return viaFast;
}

async function createActivity(fields: { stock: number; startAt: number; endAt: number }): Promise<number> {
  const record = await fast.app.get(ActivityRepository, { strict: false }).create({
    title: 'doors',
    description: '',
    priceCents: 100,
    originalPriceCents: null,
    stock: fields.stock,
    stockShards: 1,
    startAt: new Date(fields.startAt),
    endAt: new Date(fields.endAt),
    paymentTimeoutSeconds: 900,
  });
  await fast.app.get(ActivityCache, { strict: false }).changed(record.id);
  return record.id;
}

/** seckill_catalog_reads_total{level="memory"} of an instance, as a scrape would read it. */
async function memoryReads(app: TestApp): Promise<number> {
  const scraped = await app.app.get(MetricsService).registry.metrics();
  const match = /^seckill_catalog_reads_total\{level="memory"\} (\d+)$/m.exec(scraped);
  return match ? Number(match[1]) : 0;
}

const purchaseBody = (activityId: number, userId: number) => JSON.stringify({ token: tokens.issue(activityId, String(userId), Date.now()).token });

before(async () => {
  config = createTestConfig({
    RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
    RATE_LIMIT_PER_USER_PER_SECOND: '1',
    SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
  });
  await createTestDatabases(config);
  fast = await startTestApp('seckill', AppModule.register(config), config, (app, appConfig) => {
    configureSeckill(app, appConfig);
    app.getHttpAdapter().getInstance().addHook('onRequest', (request, _reply, done) => {
      if (request.url.endsWith('/purchase')) reachedFastify++;
      done();
    });
  });
  slow = await startTestApp('seckill', AppModule.register(config), config, (app, appConfig) =>
    configureSeckill(app, appConfig, { fastPath: false }),
  );
  tokens = new PurchaseTokens(config.JWT_SECRET, config.PURCHASE_TOKEN_TTL_SECONDS);
});

after(async () => {
  await fast?.close();
  await slow?.close();
  await dropTestResources(config);
});

describe('purchase: the fast path and the controller answer alike', () => {
  it('on a sold-out activity, every bad request gets its own error, not SOLD_OUT', async () => {
    const now = Date.now();
    const soldOut = await createActivity({ stock: 1, startAt: now - HOUR, endAt: now + HOUR });
    assert.equal((await send(fast, { activityId: soldOut, userId: 1, body: purchaseBody(soldOut, 1) })).status, 202);
    // Both instances learn of the sell-out (the second from the channel).
    for (const [app, user] of [[fast, 2], [slow, 3]] as const) {
      await waitFor(
        async () => (await send(app, { activityId: soldOut, userId: user, body: purchaseBody(soldOut, user) })).status === 410,
        5000,
        'the sell-out to be known',
      );
    }

    const cases: Array<[string, Attempt, number]> = [
      ['well-formed', { activityId: soldOut, userId: 10, body: purchaseBody(soldOut, 10) }, 410],
      ['no access token', { activityId: soldOut, body: purchaseBody(soldOut, 11) }, 401],
      ['forged access token', { activityId: soldOut, bearer: 'Bearer abc.def.ghi', body: purchaseBody(soldOut, 12) }, 401],
      ['lowercase scheme', { activityId: soldOut, bearer: `bearer ${mintToken(config, 13)}`, body: purchaseBody(soldOut, 13) }, 401],
      ['unknown field', { activityId: soldOut, userId: 14, body: JSON.stringify({ token: 'x', extra: 1 }) }, 400],
      ["a field named after Object.prototype's members", { activityId: soldOut, userId: 14, body: JSON.stringify({ token: 'x', constructor: 1 }) }, 400],
      ['activity id in another spelling', { activityId: '0x1', userId: 14, body: purchaseBody(soldOut, 14) }, 400],
      ['token of the wrong type', { activityId: soldOut, userId: 15, body: JSON.stringify({ token: 42 }) }, 400],
      ['empty token', { activityId: soldOut, userId: 15, body: JSON.stringify({ token: '' }) }, 400],
      ['token of 201 characters', { activityId: soldOut, userId: 15, body: JSON.stringify({ token: 'x'.repeat(201) }) }, 400],
      ['token of 200 characters', { activityId: soldOut, userId: 15, body: JSON.stringify({ token: 'x'.repeat(200) }) }, 410],
      // 300 UTF-16 units, 150 characters for class-validator: the fast path leaves it to the controller, which takes it.
      ['token of 150 astral characters', { activityId: soldOut, userId: 15, body: JSON.stringify({ token: '\u{1F600}'.repeat(150) }) }, 410],
      ['empty JSON body', { activityId: soldOut, userId: 16, body: '' }, 400],
      ['no body at all', { activityId: soldOut, userId: 17 }, 400],
      ['JSON array', { activityId: soldOut, userId: 18, body: '[1]' }, 400],
      ['malformed JSON', { activityId: soldOut, userId: 19, body: '{"token":' }, 400],
      ['text/plain', { activityId: soldOut, userId: 20, body: purchaseBody(soldOut, 20), contentType: 'text/plain' }, 415],
      ['form-encoded', { activityId: soldOut, userId: 21, body: 'token=x', contentType: 'application/x-www-form-urlencoded' }, 415],
      ['20 KiB body', { activityId: soldOut, userId: 22, body: JSON.stringify({ token: 'x'.repeat(20 * 1024) }) }, 413],
      // Sold out holds for every shopper: it is answered before the limits and the purchase token are looked at.
      ['forged purchase token', { activityId: soldOut, userId: 23, body: JSON.stringify({ token: '1.2.3.abc' }) }, 410],
      ['purchase token of another user', { activityId: soldOut, userId: 24, body: purchaseBody(soldOut, 25) }, 410],
      ['activity id 0', { activityId: 0, userId: 26, body: purchaseBody(soldOut, 26) }, 400],
      ['activity id not a number', { activityId: 'abc', userId: 27, body: purchaseBody(soldOut, 27) }, 400],
      ['unknown activity', { activityId: 999999, userId: 28, body: purchaseBody(999999, 28) }, 404],
    ];
    // Which requests the sold-out gate answers itself; every other one must reach Fastify with its body intact.
    const gated = new Set(['well-formed', 'token of 200 characters', 'forged purchase token', 'purchase token of another user']);
    for (const [label, attempt, status] of cases) {
      const before = reachedFastify;
      const got = await bothDoors(label, attempt);
      assert.equal(got.status, status, `${label}: ${JSON.stringify(got.body)}`);
      assert.equal(reachedFastify - before, gated.has(label) ? 0 : 1, `${label}: answered by the gate: ${gated.has(label)}`);
    }
  });

  it("the sold-out gate's answer has the headers of the controller's, and keeps a connection's later requests", async () => {
    const now = Date.now();
    const soldOut = await createActivity({ stock: 1, startAt: now - HOUR, endAt: now + HOUR });
    assert.equal((await send(fast, { activityId: soldOut, userId: 70, body: purchaseBody(soldOut, 70) })).status, 202);
    const request = (app: TestApp, user: number) =>
      rawRequest(`${app.url}/api/activities/${soldOut}/purchase`, {
        method: 'POST',
        body: purchaseBody(soldOut, user),
        contentType: 'application/json',
        headers: { authorization: `Bearer ${mintToken(config, user)}`, 'x-request-id': `gate-${user}` },
      });
    for (const app of [fast, slow]) await waitFor(async () => (await request(app, 71)).status === 410, 5000, 'the sell-out to be known');
    const before = reachedFastify;
    const readsBefore = await memoryReads(fast);
    const [viaGate, viaController] = [await request(fast, 72), await request(slow, 73)];
    assert.equal(reachedFastify, before, 'the gate answered');
    assert.equal((await memoryReads(fast)) - readsBefore, 1, 'one catalog read counted per gated answer');
    const comparable = (response: RawResponse) =>
      Object.fromEntries([...response.headers].filter(([name]) => !['date', 'x-request-id'].includes(name)));
    assert.deepEqual(comparable(viaGate), comparable(viaController));
    assert.equal(viaGate.text, viaController.text);
    assert.equal(viaGate.headers.get('x-request-id'), 'gate-72');

    // One keep-alive connection: a gated answer, a request handed on with its body read, then a gated one again.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const post = (user: number, body: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            `${fast.url}/api/activities/${soldOut}/purchase`,
            { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${mintToken(config, user)}` } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      assert.deepEqual(
        [await post(74, purchaseBody(soldOut, 74)), await post(75, '{"token":1}'), await post(76, purchaseBody(soldOut, 76))],
        [410, 400, 410],
      );
    } finally {
      agent.destroy();
    }
  });

  it('answers NOT_STARTED and ENDED alike, Retry-After included', async () => {
    const now = Date.now();
    const upcoming = await createActivity({ stock: 5, startAt: now + HOUR, endAt: now + 2 * HOUR });
    const ended = await createActivity({ stock: 5, startAt: now - 2 * HOUR, endAt: now - HOUR });
    const early = await bothDoors('upcoming', { activityId: upcoming, userId: 40, body: purchaseBody(upcoming, 40) });
    assert.equal(early.status, 409);
    const late = await bothDoors('ended', { activityId: ended, userId: 41, body: purchaseBody(ended, 41) });
    assert.equal(late.status, 410);
  });

  it('limits alike, and the limit comes before the purchase token', async () => {
    const now = Date.now();
    const activity = await createActivity({ stock: 100, startAt: now - HOUR, endAt: now + HOUR });
    // A burst of 2 per user (1 per second): the first two get their answer, the rest 429, at either door.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const got = await bothDoors(`attempt ${i}`, { activityId: activity, userId: 50, body: JSON.stringify({ token: 'forged' }) });
      statuses.push(got.status);
    }
    assert.deepEqual(statuses, [400, 400, 429, 429]);
  });

  it('sheds alike with DEGRADED', async () => {
    const now = Date.now();
    const activity = await createActivity({ stock: 100, startAt: now - HOUR, endAt: now + HOUR });
    await fast.app.get(SwitchesService, { strict: false }).set('purchaseShedPercent', 100);
    await slow.app.get(SwitchesService, { strict: false }).reload();
    try {
      const shed = await bothDoors('shed', { activityId: activity, userId: 60, body: purchaseBody(activity, 60) });
      assert.equal(shed.status, 503);
      const shedBadBody = await bothDoors('shed, bad body', { activityId: activity, userId: 61, body: '{}' });
      assert.equal(shedBadBody.status, 400);
    } finally {
      await fast.app.get(SwitchesService, { strict: false }).set('purchaseShedPercent', 0);
      await slow.app.get(SwitchesService, { strict: false }).reload();
    }
  });
});
