import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { ActivityView, PROVIDER_HEADERS, ServiceName } from '@seckill/contracts';
import { signWebhook } from '@seckill/payment-store';
import { BODY_LIMIT_BYTES } from '@seckill/platform';
import {
  assertErrorResponse,
  call,
  countState,
  mintToken,
  rawRequest,
  RawResponse,
  routeKey,
  routeMatches,
  stateDifferences,
  StateCounts,
} from '@seckill/testing';
import { badParam, badQueryValue, Fixture, goodParam, mutations, Shape, shapeOf, validParam } from './input-shapes';
import { SecurityStack, settledState, startSecurityStack } from './security-stack';

// Property-based tests of every route of every service with bad input: malformed and oversized bodies, bodies of
// other media types, fields of the wrong type or out of their rule, missing and extra fields (Object.prototype's
// names and __proto__ among them), bad ids, bad query values, unknown methods and garbage credentials. Whatever the
// input, the answer is the contract's 4xx error body, never a 5xx, and no row or Redis key changes.
//
// The routes come from the running apps; input-shapes.ts says what each takes. Every property prints its seed: a
// failure replays with FC_SEED=<seed> npm test -- bad-input.property

const SEED = process.env.FC_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FC_SEED);
/** Runs per property: a few hundred requests each, so the file stays well under a minute on a loaded machine. */
const RUNS = { rawBodies: 150, fields: 200, params: 150, methods: 100, queries: 100, credentials: 100 };
const OPERATOR_KEY = 'property-test-operator-key';

let stack: SecurityStack;
let fixture: Fixture;
let tokens: { shopper: string; admin: string };

interface Target {
  service: ServiceName;
  base: string;
  method: string;
  url: string;
  shape: Shape;
}
const targets: Target[] = [];

/** Live-stats counters (per second and totals) count every answer, rejections included: observability, not state. */
// Live-stats flushes, and the per-activity one-second rate windows the reservation script writes: both come and go on
// their own (a window expires a second or two after the purchases that made it), whatever the request under test.
const ignoreKey = (key: string) => key.startsWith('stats:') || key.includes(':rate:');

before(async () => {
  stack = await startSecurityStack({
    env: {
      PROVIDER_ADMIN_KEY: OPERATOR_KEY,
      // Thousands of requests from one address and a handful of users: the limits are not what is tested here.
      RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1',
      RATE_LIMIT_READS_PER_IP_PER_SECOND: '100000',
      RATE_LIMIT_TOKEN_PER_USER_PER_SECOND: '100000',
      RATE_LIMIT_POLL_PER_USER_PER_SECOND: '100000',
      RATE_LIMIT_PER_USER_PER_SECOND: '100000',
      PAYSIM_RATE_LIMIT_PER_SECOND: '100000',
      PAYSIM_RATE_LIMIT_BURST: '100000',
      SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    },
  });
  tokens = { shopper: mintToken(stack.config, 4242), admin: mintToken(stack.config, 1, 'admin') };
  // One activity on sale, prewarmed, so that ids and bodies reach real code; nothing else exists.
  const now = Date.now();
  const created = await call<ActivityView>(`${stack.apps.admin.url}/api/admin/activities`, {
    token: tokens.admin,
    body: { title: 'Property', priceCents: 100, stock: 5, startAt: new Date(now - 60_000).toISOString(), endAt: new Date(now + 3600_000).toISOString() },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  fixture = { activityId: created.body.id };
  assert.equal((await call(`${stack.apps.admin.url}/api/admin/activities/${fixture.activityId}/prewarm`, { method: 'POST', token: tokens.admin })).status, 200);
  await settledState(stack, ignoreKey);
  for (const app of Object.values(stack.apps)) {
    for (const route of app.routes) {
      const shape = shapeOf(app.service, route.method, route.url);
      // HEAD answers carry no body, so there is no error body to check (the queue board registers one HEAD route).
      if (shape && route.method !== 'HEAD') targets.push({ service: app.service, base: app.url, method: route.method, url: route.url, shape });
    }
  }
});

after(async () => {
  await stack?.close();
});

/** The credentials a caller of this shape carries. */
function credentials(shape: Shape): Record<string, string> {
  if (shape.caller === 'shopper') return { authorization: `Bearer ${tokens.shopper}` };
  if (shape.caller === 'admin') return { authorization: `Bearer ${tokens.admin}` };
  if (shape.caller === 'operator') return { [PROVIDER_HEADERS.adminKey]: OPERATOR_KEY };
  return {};
}

/** The route's URL with its parameters filled (valid ones unless given) and static wildcards filled in. */
function pathOf(target: Target, params: Record<string, string> = {}): string {
  return target.url
    .replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? validParam(target.shape.params![name], fixture)))
    .replace(/\*$/, 'index.html');
}

interface Sent {
  target: Target;
  path: string;
  method?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  query?: string;
}

async function send(request: Sent): Promise<RawResponse> {
  const headers = { ...credentials(request.target.shape), ...request.headers };
  const url = `${request.target.base}${request.path}${request.query ? `?${request.query}` : ''}`;
  return rawRequest(url, { method: request.method ?? request.target.method, body: request.body, contentType: request.contentType, headers });
}

function label(request: Sent): string {
  return `${request.method ?? request.target.method} ${request.path}${request.query ? `?${request.query}` : ''} (${request.target.service}) body ${JSON.stringify(request.body?.slice(0, 120) ?? null)}`;
}

/** The answer's details name this field (or one inside it). */
function assertDetailsName(response: RawResponse, field: string, context: string): void {
  const body = JSON.parse(response.text) as { details?: Array<{ field: string; problems: string[] }> };
  assert.ok(Array.isArray(body.details) && body.details.length > 0, `${context}: no details in ${response.text.slice(0, 300)}`);
  assert.ok(
    body.details.some((detail) => detail.field === field || detail.field.startsWith(`${field}.`) || field.startsWith(`${detail.field}.`)),
    `${context}: details do not name ${field}: ${response.text.slice(0, 300)}`,
  );
}

/** Runs a property and checks that no row or key changed while it ran. */
async function property<T>(t: TestContext, arbitrary: fc.Arbitrary<T>, runs: number, check: (value: T) => Promise<void>): Promise<void> {
  t.diagnostic(`seed ${SEED} (replay: FC_SEED=${SEED} npm test -- bad-input.property)`);
  const before: StateCounts = await countState(stack.config, ignoreKey);
  await fc.assert(fc.asyncProperty(arbitrary, check), { seed: SEED, numRuns: runs, endOnFailure: true });
  const changed = stateDifferences(before, await countState(stack.config, ignoreKey));
  assert.deepEqual(changed, [], `bad input changed state (seed ${SEED})`);
}

const withBody = () => targets.filter((t) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(t.method));
const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** A JSON object of exactly `bytes` bytes in UTF-8: the valid body (or {}) with a padding field of ASCII and "€". */
function jsonOfSize(valid: Record<string, unknown>, bytes: number, euros: number): string {
  const empty = JSON.stringify({ ...valid, pad: '' });
  const room = bytes - Buffer.byteLength(empty);
  const wide = Math.min(euros, Math.floor(room / 3));
  const text = JSON.stringify({ ...valid, pad: '€'.repeat(wide) + 'x'.repeat(room - wide * 3) });
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

describe('bad input on every route of every service (fast-check)', () => {
  it('has an input shape for every served route, matching what its OpenAPI document declares', async () => {
    const missing: string[] = [];
    for (const app of Object.values(stack.apps)) {
      for (const route of app.routes) if (!shapeOf(app.service, route.method, route.url)) missing.push(`${app.service}: ${routeKey(route)}`);
      const document = (await (await fetch(`${app.url}/docs-json`)).json()) as {
        paths: Record<string, Record<string, { requestBody?: unknown; parameters?: Array<{ in: string; name: string }> }>>;
      };
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const url = path.replace(/\{(\w+)\}/g, ':$1');
          const shape = shapeOf(app.service, method.toUpperCase(), url);
          if (!shape) continue;
          const name = `${app.service}: ${method.toUpperCase()} ${url}`;
          if (operation.requestBody) assert.ok(shape.body, `${name} takes a body its shape does not describe`);
          for (const parameter of operation.parameters ?? []) {
            if (parameter.in === 'query') assert.ok(shape.query?.fields.some((f) => f.name === parameter.name), `${name}: query ${parameter.name} not in its shape`);
            if (parameter.in === 'path') assert.ok(shape.params?.[parameter.name], `${name}: parameter ${parameter.name} not in its shape`);
          }
        }
      }
    }
    assert.deepEqual(missing, [], 'routes without an input shape in tools/security/input-shapes.ts');
    assert.ok(targets.length > 80, `only ${targets.length} routes found`);
  });

  it('malformed JSON, __proto__, other media types and bodies around 16 KiB: 400, 415 or 413, before any handler', async (t) => {
    const malformed = fc
      .oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)).chain((s) => fc.integer({ min: 1, max: Math.max(1, s.length) }).map((cut) => s.slice(0, s.length - cut))),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
        fc.constantFrom('{', '{"a":', '{"a":1,}', "{'a':1}", '{a:1}', '[1,]', 'NaN', 'undefined', '{"a":01}', '\u0000', '{"a":"\\x"}', ' '),
      )
      .filter((s) => s.length > 0 && !parses(s))
      .map((text) => ({ kind: 'malformed' as const, text, contentType: 'application/json' }));
    const proto = fc
      .tuple(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('top', 'nested', 'constructor'))
      .map(([value, where]) => {
        const inner = JSON.stringify(value) ?? 'null';
        const text =
          where === 'top' ? `{"__proto__":${inner}}` : where === 'nested' ? `{"a":{"b":1,"__proto__":${inner}}}` : `{"constructor":{"prototype":${inner}}}`;
        return { kind: 'proto' as const, text, contentType: 'application/json' };
      })
      .filter((b) => !b.text.startsWith('{"constructor":{"prototype":') || !b.text.endsWith(':null}}')); // prototype: null is not a pollution attempt
    const otherMedia = fc
      .tuple(
        fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', 'application/octet-stream', 'text/json'),
        fc.string({ minLength: 1, maxLength: 64 }),
      )
      .map(([contentType, text]) => ({ kind: 'media' as const, text, contentType }));
    const sized = fc
      .tuple(fc.oneof(fc.constantFrom(BODY_LIMIT_BYTES - 1, BODY_LIMIT_BYTES, BODY_LIMIT_BYTES + 1), fc.integer({ min: BODY_LIMIT_BYTES + 2, max: 64 * 1024 })), fc.nat({ max: 6000 }))
      .map(([bytes, euros]) => ({ kind: 'sized' as const, bytes, euros }));
    const routes = withBody();
    await property(t, fc.tuple(fc.constantFrom(...routes), fc.oneof(malformed, proto, otherMedia, sized), fc.nat()), RUNS.rawBodies, async ([target, body, salt]) => {
      let request: Sent;
      let expected: { status: number; code: 'VALIDATION_FAILED' | 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE' } | 'refused';
      if (body.kind === 'sized') {
        const text = jsonOfSize(target.shape.body?.valid ?? {}, body.bytes, body.euros);
        if (body.bytes > BODY_LIMIT_BYTES) {
          request = { target, path: pathOf(target), body: text, contentType: 'application/json' };
          expected = { status: 413, code: 'PAYLOAD_TOO_LARGE' };
        } else if (target.shape.body) {
          // Within the limit: parsed, then refused for its unknown padding field (or, unsigned, by the signature check).
          request = { target, path: pathOf(target), body: text, contentType: 'application/json' };
          expected = 'refused';
        } else {
          // A route that takes no body ignores one within the limit: the request is made bad by a parameter instead.
          const names = Object.keys(target.shape.params ?? {}).filter((name) => target.shape.params![name] !== 'boardOther');
          if (names.length === 0) return;
          const name = names[salt % names.length];
          const bad = fc.sample(badParam(target.shape.params![name], fixture), { seed: SEED + salt, numRuns: 1 })[0];
          request = { target, path: pathOf(target, { [name]: bad }), body: text, contentType: 'application/json' };
          expected = 'refused';
        }
      } else {
        request = { target, path: pathOf(target), body: body.text, contentType: body.contentType };
        expected = body.kind === 'media' ? { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } : { status: 400, code: 'VALIDATION_FAILED' };
      }
      const response = await send(request);
      assertErrorResponse(response, expected === 'refused' ? {} : expected, label(request));
    });
  });

  it('a body with one field of the wrong type, out of its rule, missing or extra: 400 naming that field', async (t) => {
    const routes = targets.filter((target) => target.shape.body && !target.shape.thirdParty);
    const cases = fc.constantFrom(...routes).chain((target) =>
      fc.oneof(
        { weight: 6, arbitrary: mutations(target.shape.body!.fields, target.shape.body!.valid, !target.shape.signed).map((mutation) => ({ target, mutation, junk: undefined })) },
        // Not an object at all (null only where every field is required: an empty body is none, and some routes take none).
        {
          weight: 1,
          arbitrary: fc
            .oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))
            .filter((junk) => junk !== null || target.shape.body!.fields.some((f) => f.required))
            .map((junk) => ({ target, mutation: undefined, junk })),
        },
      ),
    );
    await property(t, cases, RUNS.fields, async ({ target, mutation, junk }) => {
      const value = mutation ? mutation.apply(target.shape.body!.valid) : junk;
      const text = JSON.stringify(value);
      const headers: Record<string, string> = {};
      // The provider's callback checks the signature first: unsigned, 401; signed with the real key, the fields.
      if (target.shape.signed) headers[PROVIDER_HEADERS.signature] = signWebhook(stack.config.PAYMENT_WEBHOOK_SECRET, text);
      const request: Sent = { target, path: pathOf(target), body: text, contentType: 'application/json', headers };
      const context = `${label(request)}${mutation ? ` — ${mutation.describe}` : ''}`;
      const response = await send(request);
      if (Buffer.byteLength(text) > BODY_LIMIT_BYTES) return assertErrorResponse(response, { status: 413, code: 'PAYLOAD_TOO_LARGE' }, context);
      assertErrorResponse(response, { status: 400, code: 'VALIDATION_FAILED' }, context);
      if (mutation) assertDetailsName(response, mutation.field, context);
    });
  });

  it('bad ids and names in the path (other spellings, out of range, unicode, too long): 400, 404 or 414', async (t) => {
    const routes = targets.filter((target) => Object.values(target.shape.params ?? {}).some((kind) => kind !== 'boardOther'));
    const cases = fc.constantFrom(...routes).chain((target) => {
      const names = Object.keys(target.shape.params!).filter((name) => target.shape.params![name] !== 'boardOther');
      return fc.constantFrom(...names).chain((name) => badParam(target.shape.params![name], fixture).map((value) => ({ target, name, value })));
    });
    await property(t, cases, RUNS.params, async ({ target, name, value }) => {
      const body = target.shape.body ? JSON.stringify(target.shape.body.valid) : undefined;
      const request: Sent = { target, path: pathOf(target, { [name]: value }), body, contentType: body === undefined ? undefined : 'application/json' };
      const response = await send(request);
      assertErrorResponse(response, {}, `${label(request)} — ${name} = ${JSON.stringify(value).slice(0, 80)}`);
      // The queue board answers some bad names from its own routing (403, 404); our routes answer one of these.
      if (!target.shape.thirdParty) assert.ok([400, 404, 414].includes(response.status), `${label(request)}: ${response.status}`);
    });
  });

  it('methods a path does not serve (unknown ones included): 404 with the error body', async (t) => {
    const served = new Map<string, { target: Target; methods: Set<string> }>();
    for (const target of targets) {
      const key = `${target.base} ${target.url}`;
      const entry = served.get(key) ?? { target, methods: new Set<string>() };
      entry.methods.add(target.method);
      if (target.method === 'GET') entry.methods.add('HEAD');
      served.set(key, entry);
    }
    const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'LOCK', 'PURGE'];
    // A method another route of the service serves at the same concrete path is not a wrong one there
    // (GET /api/payments/callback is GET /api/payments/:id).
    const servedAt = (base: string, method: string, path: string) =>
      targets.some((t) => t.base === base && (t.method === method || (method === 'HEAD' && t.method === 'GET')) && routeMatches(t.url, path));
    const cases = fc
      .constantFrom(...served.values())
      .chain((entry) => fc.constantFrom(...METHODS).map((method) => ({ entry, method })))
      .filter(({ entry, method }) => !entry.methods.has(method) && !servedAt(entry.target.base, method, pathOf(entry.target)));
    await property(t, cases, RUNS.methods, async ({ entry, method }) => {
      const request: Sent = { target: entry.target, path: pathOf(entry.target), method };
      assertErrorResponse(await send(request), { status: 404, code: 'NOT_FOUND' }, label(request));
    });
  });

  it('bad query values, repeated keys, unknown keys (__proto__ and constructor included) and missing ones: 400', async (t) => {
    const routes = targets.filter((target) => target.shape.query);
    const extraKeys = fc.oneof(
      fc.constantFrom('__proto__', '__proto__[x]', 'constructor', 'constructor[prototype][x]', 'toString', 'hasOwnProperty', 'valueOf', 'userId', 'role', 'a[b]', 'limit[]'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
    );
    const cases = fc.constantFrom(...routes).chain((target) => {
      const { fields } = target.shape.query!;
      const choices: fc.Arbitrary<{ target: Target; field: string; values: Record<string, string | string[] | undefined> }>[] = [
        fc.constantFrom(...fields).chain((field) => badQueryValue(field).map((bad) => ({ target, field: field.name, values: { [field.name]: bad } }))),
        extraKeys.filter((key) => !fields.some((f) => f.name === key)).map((key) => ({ target, field: key.replace(/\[.*$/, ''), values: { [key]: '1' } })),
      ];
      const required = fields.filter((f) => f.required);
      if (required.length > 0) choices.push(fc.constantFrom(...required).map((field) => ({ target, field: field.name, values: { [field.name]: undefined } })));
      return fc.oneof(...choices);
    });
    await property(t, cases, RUNS.queries, async ({ target, field, values }) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...target.shape.query!.valid, ...values })) {
        if (value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) query.append(name, one);
      }
      const request: Sent = { target, path: pathOf(target), query: query.toString() };
      const response = await send(request);
      assertErrorResponse(response, { status: 400, code: 'VALIDATION_FAILED' }, `${label(request)} — ${field}`);
      assert.ok(Array.isArray((JSON.parse(response.text) as { details?: unknown }).details), `${label(request)}: no details`);
    });
  });

  it('garbage credentials on every guarded route: 401 UNAUTHENTICATED', async (t) => {
    const routes = targets.filter((target) => target.shape.caller !== 'anyone');
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
    const credential = fc.oneof(
      printable,
      printable.map((s) => `Bearer ${s}`),
      fc.base64String({ maxLength: 200 }).map((s) => `Bearer ${s}.${s}.${s}`),
      fc.tuple(fc.nat({ max: 50 }), printable).map(([cut, s]) => `Bearer ${tokens.admin.slice(0, Math.max(1, tokens.admin.length - 1 - cut))}${s}`),
    );
    await property(t, fc.tuple(fc.constantFrom(...routes), credential), RUNS.credentials, async ([target, value]) => {
      const header = target.shape.caller === 'operator' ? PROVIDER_HEADERS.adminKey : 'authorization';
      const params = Object.fromEntries(Object.entries(target.shape.params ?? {}).map(([name, kind]) => [name, validParam(kind, fixture)]));
      const body = target.shape.body ? JSON.stringify(target.shape.body.valid) : undefined;
      const request: Sent = {
        target: { ...target, shape: { ...target.shape, caller: 'anyone' } },
        path: pathOf(target, params),
        body,
        contentType: body === undefined ? undefined : 'application/json',
        headers: value.trim() === '' ? {} : { [header]: value },
      };
      assertErrorResponse(await send(request), { status: 401, code: 'UNAUTHENTICATED' }, `${label(request)} — ${header}: ${JSON.stringify(value.slice(0, 60))}`);
    });
  });

  it('leaves the fixture as it was', async () => {
    assert.ok(goodParam('activity', String(fixture.activityId), fixture));
    const view = await call<ActivityView>(`${stack.apps.seckill.url}/api/activities/${fixture.activityId}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.remaining, 5);
  });
});
