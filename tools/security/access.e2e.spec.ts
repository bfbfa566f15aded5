import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSigner } from 'fast-jwt';
import { ActivityView, PROVIDER_HEADERS, ReservationResult, ServiceName } from '@seckill/contracts';
import {
  assertErrorResponse,
  call,
  countState,
  rawRequest,
  RawResponse,
  routeKey,
  routeMatches,
  ServedRoute,
  sleep,
  stateDifferences,
  waitFor,
} from '@seckill/testing';
import { ADMIN_STREAM_PATH, adminRouteCases, AdminRouteCase } from '../../apps/admin/src/admin-route-matrix';
import { SecurityStack, settledState, StackApp, startSecurityStack } from './security-stack';

// Who may call what, on every route of every service, derived from the running apps: anonymous callers, a shopper,
// another shopper (a resource of shopper A read or changed by shopper B is 404 and nothing changes), an admin, and
// forged access tokens of every kind (alg none, HS512, RS256, no exp, expired, tampered payload, wrong key, lowercase
// scheme, no scheme, empty), which get 401 on every guarded route, at both doors of the purchase. A served route
// without a row in the matrix fails the first test. The admin API's rows live in apps/admin/src/admin-route-matrix.ts,
// run by operations.e2e.spec.ts; here they are checked for completeness and sent the forged tokens.

let stack: SecurityStack;
const OPERATOR_KEY = 'access-test-operator-key';

/** Who a route lets in. */
type Access = 'public' | 'shopper' | 'admin' | 'operator' | 'signature';

interface Fixture {
  shopperA: { id: string; token: string };
  shopperB: { id: string; token: string };
  admin: string;
  /** A's paid order and its payment (activity 1), A's order still payable (activity 2), B's order (activity 1). */
  paidOrder: string;
  payment: string;
  openOrder: string;
  orderOfB: string;
  activityId: number;
  secondActivityId: number;
}
let f: Fixture;

interface Request {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One route's row: the request (as shopper A, its owner, sends it) and what each caller gets. */
interface Row {
  access: Access;
  request: (fx: Fixture) => Request;
  /** What the owner (shopper A; for a public or operator route, its normal caller) gets. */
  ok: number;
  /** The route acts on a resource of A: shopper B gets this (404) for the same request, and nothing changes. */
  otherShopper?: number;
  /** What an admin gets through this shopper route (an admin is a user too, with no right to A's resources). */
  admin?: number;
  /** Checked after the refusals, because it changes state (last of all when it also ends A's resource). */
  changes?: 'state' | 'last';
}

const HEALTH: Record<string, Row> = {
  'GET /health/live': { access: 'public', request: () => ({ method: 'GET', path: '/health/live' }), ok: 200 },
  'GET /health/ready': { access: 'public', request: () => ({ method: 'GET', path: '/health/ready' }), ok: 200 },
  'GET /metrics': { access: 'public', request: () => ({ method: 'GET', path: '/metrics' }), ok: 200 },
};

/** The matrix of every service's own routes (the admin API's is adminRouteCases). */
const MATRIX: Record<ServiceName, Record<string, Row>> = {
  auth: {
    ...HEALTH,
    'POST /api/auth/register': { access: 'public', request: () => ({ method: 'POST', path: '/api/auth/register', body: { username: 'matrix_new', password: 'a-long-password' } }), ok: 201, changes: 'state' },
    'POST /api/auth/login': { access: 'public', request: () => ({ method: 'POST', path: '/api/auth/login', body: { username: 'matrix_a', password: 'password-of-a' } }), ok: 200 },
    'GET /api/auth/me': { access: 'shopper', request: () => ({ method: 'GET', path: '/api/auth/me' }), ok: 200 },
  },
  seckill: {
    ...HEALTH,
    'GET /api/activities': { access: 'public', request: () => ({ method: 'GET', path: '/api/activities' }), ok: 200 },
    'GET /api/activities/:id': { access: 'public', request: (fx) => ({ method: 'GET', path: `/api/activities/${fx.activityId}` }), ok: 200 },
    'GET /api/activities/:id/stock': { access: 'public', request: (fx) => ({ method: 'GET', path: `/api/activities/${fx.activityId}/stock` }), ok: 200 },
    'POST /api/activities/:id/token': { access: 'shopper', request: (fx) => ({ method: 'POST', path: `/api/activities/${fx.activityId}/token` }), ok: 200 },
    // The sale's front door is off: past the guard, the service says there is no waiting room or challenge.
    'POST /api/activities/:id/queue': { access: 'shopper', request: (fx) => ({ method: 'POST', path: `/api/activities/${fx.activityId}/queue` }), ok: 404 },
    'GET /api/activities/:id/queue': { access: 'shopper', request: (fx) => ({ method: 'GET', path: `/api/activities/${fx.activityId}/queue` }), ok: 404 },
    'GET /api/activities/:id/challenge': { access: 'shopper', request: (fx) => ({ method: 'GET', path: `/api/activities/${fx.activityId}/challenge` }), ok: 404 },
    // A forged purchase token: past the guard, the purchase refuses it.
    'POST /api/activities/:id/purchase': { access: 'shopper', request: (fx) => ({ method: 'POST', path: `/api/activities/${fx.activityId}/purchase`, body: { token: 'x.y.z' } }), ok: 400 },
    'GET /api/activities/:id/result': { access: 'shopper', request: (fx) => ({ method: 'GET', path: `/api/activities/${fx.activityId}/result` }), ok: 200 },
    'GET /api/client-config': { access: 'public', request: () => ({ method: 'GET', path: '/api/client-config' }), ok: 200 },
  },
  order: {
    ...HEALTH,
    'GET /api/orders': { access: 'shopper', request: () => ({ method: 'GET', path: '/api/orders' }), ok: 200 },
    'GET /api/orders/:id': { access: 'shopper', request: (fx) => ({ method: 'GET', path: `/api/orders/${fx.paidOrder}` }), ok: 200, otherShopper: 404, admin: 404 },
    'POST /api/orders/:id/cancel': {
      access: 'shopper',
      request: (fx) => ({ method: 'POST', path: `/api/orders/${fx.openOrder}/cancel` }),
      ok: 200,
      otherShopper: 404,
      admin: 404,
      changes: 'last',
    },
  },
  payment: {
    ...HEALTH,
    // A's order is paid: asking again answers the payment that settled it (200), to A only.
    'POST /api/payments': { access: 'shopper', request: (fx) => ({ method: 'POST', path: '/api/payments', body: { orderId: fx.paidOrder } }), ok: 200, otherShopper: 404, admin: 404 },
    'GET /api/payments/:id': { access: 'shopper', request: (fx) => ({ method: 'GET', path: `/api/payments/${fx.payment}` }), ok: 200, otherShopper: 404, admin: 404 },
    // Unsigned: whoever sends it, and whatever token it carries, the signature is what is checked.
    'POST /api/payments/callback': { access: 'signature', request: () => ({ method: 'POST', path: '/api/payments/callback', body: { eventId: 'x' } }), ok: 401 },
  },
  admin: {
    ...HEALTH,
    'POST /api/auth/login': { access: 'public', request: () => ({ method: 'POST', path: '/api/auth/login', body: { username: 'matrix_a', password: 'password-of-a' } }), ok: 200 },
  },
  paysim: {
    ...HEALTH,
    'POST /provider/charges': { access: 'public', request: () => ({ method: 'POST', path: '/provider/charges', body: { merchantRef: 'matrix', amountCents: 100, idempotencyKey: 'matrix-1' } }), ok: 200 },
    'GET /provider/charges': { access: 'public', request: () => ({ method: 'GET', path: '/provider/charges' }), ok: 200 },
    'POST /provider/refunds': { access: 'public', request: () => ({ method: 'POST', path: '/provider/refunds', body: { chargeId: 'no-such-charge', idempotencyKey: 'matrix-r' } }), ok: 404 },
    'GET /provider/faults': { access: 'operator', request: () => ({ method: 'GET', path: '/provider/faults' }), ok: 200 },
    'PUT /provider/faults': { access: 'operator', request: () => ({ method: 'PUT', path: '/provider/faults', body: {} }), ok: 200 },
    'GET /provider/requests': { access: 'operator', request: () => ({ method: 'GET', path: '/provider/requests' }), ok: 200 },
  },
};

/** Static files anyone may read: the OpenAPI UI and document, the shop page, the dashboard's files. */
function isStatic(service: ServiceName, url: string): boolean {
  if (url === '/docs' || url === '/docs-json' || url === '/docs-yaml' || url.startsWith('/docs/')) return true;
  if (service === 'seckill' && (url === '/shop' || url.startsWith('/shop/'))) return true;
  return service === 'admin' && (url === '/admin' || url === '/admin/*');
}

/** The queue board's routes: admins only, guarded as a whole by the hook of its plugin scope. */
const isBoard = (service: ServiceName, url: string) => service === 'admin' && (url === '/admin/queues' || url.startsWith('/admin/queues/'));

/** The admin API's routes, each with the row of adminRouteCases that exercises it. */
function adminCase(route: ServedRoute, cases: AdminRouteCase[]): AdminRouteCase | undefined {
  if (route.method === 'GET' && route.url === ADMIN_STREAM_PATH) return { method: 'GET', path: ADMIN_STREAM_PATH, ok: 200 };
  return cases.find((c) => c.method === route.method && routeMatches(route.url, c.path));
}

const placeholderIds = { activityId: 999_999, retryJob: 'no-such-job', discardJob: 'no-such-job', startAt: '2030-01-01T00:00:00.000Z', endAt: '2030-01-01T01:00:00.000Z' };

// ---- forged access tokens ----

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Authorization header values that must all be refused with 401, built around a valid token of `valid`'s caller;
 * the tampered one is that token with its payload changed (a shopper's made to claim the admin role, an admin's made
 * to name another user) and its signature kept.
 */
function forgedCredentials(valid: string, claims: { sub: string; role: 'user' | 'admin' }): Array<[string, string | undefined]> {
  const secret = stack.config.JWT_SECRET;
  const now = Math.floor(Date.now() / 1000);
  const live = { ...claims, iat: now, exp: now + 3600 };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const [header, , signature] = valid.split('.');
  const payload = JSON.parse(Buffer.from(valid.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
  const changed = claims.role === 'user' ? { role: 'admin' } : { sub: String(BigInt(claims.sub) + 1n) };
  const tampered = `${header}.${b64url({ ...payload, ...changed })}.${signature}`;
  assert.notEqual(tampered, valid);
  return [
    ['alg none', `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(live)}.`],
    ['HS512 with the real key', `Bearer ${createSigner({ key: secret, algorithm: 'HS512' })(live)}`],
    ['RS256', `Bearer ${createSigner({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'RS256' })(live)}`],
    ['no exp', `Bearer ${createSigner({ key: secret, algorithm: 'HS256' })({ ...claims, iat: now })}`],
    ['expired', `Bearer ${createSigner({ key: secret, algorithm: 'HS256' })({ ...claims, iat: now - 7200, exp: now - 60 })}`],
    [`tampered payload (${JSON.stringify(changed)})`, `Bearer ${tampered}`],
    ['wrong key', `Bearer ${createSigner({ key: 'another-secret-of-at-least-32-characters!', algorithm: 'HS256' })(live)}`],
    ['lowercase bearer scheme', `bearer ${valid}`],
    ['no Bearer prefix', valid],
    ['empty token', 'Bearer '],
    ['scheme only', 'Bearer'],
    ['no header', undefined],
  ];
}

// ---- sending ----

async function send(app: StackApp, request: Request, authorization?: string, extra: Record<string, string> = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...request.headers, ...extra };
  if (authorization !== undefined) headers.authorization = authorization;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return rawRequest(`${app.url}${request.path}`, { method: request.method, body, contentType: body === undefined ? undefined : 'application/json', headers });
}

const bearer = (token: string) => `Bearer ${token}`;
// Live-stats flushes, and the per-activity one-second rate windows the reservation script writes: both come and go on
// their own (a window expires a second or two after the purchases that made it), whatever the request under test.
const ignoreKey = (key: string) => key.startsWith('stats:') || key.includes(':rate:');

async function buy(activityId: number, token: string): Promise<string> {
  const issued = await call<{ token: string }>(`${stack.apps.seckill.url}/api/activities/${activityId}/token`, { method: 'POST', token });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const bought = await call(`${stack.apps.seckill.url}/api/activities/${activityId}/purchase`, { token, body: { token: issued.body.token } });
  assert.equal(bought.status, 202, JSON.stringify(bought.body));
  let result: ReservationResult | undefined;
  await waitFor(
    async () => {
      result = (await call<ReservationResult>(`${stack.apps.seckill.url}/api/activities/${activityId}/result`, { token })).body;
      return result.status === 'CREATED';
    },
    30_000,
    'the order to be created',
  );
  return result!.orderId!;
}

async function shopper(username: string, password: string): Promise<{ id: string; token: string }> {
  const registered = await call<{ id: string }>(`${stack.apps.auth.url}/api/auth/register`, { body: { username, password } });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const login = await call<{ accessToken: string }>(`${stack.apps.auth.url}/api/auth/login`, { body: { username, password } });
  return { id: registered.body.id, token: login.body.accessToken };
}

before(async () => {
  stack = await startSecurityStack({
    controllerDoor: true,
    env: { PROVIDER_ADMIN_KEY: OPERATOR_KEY, RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1,::1', RATE_LIMIT_TOKEN_PER_USER_PER_SECOND: '1000', RATE_LIMIT_POLL_PER_USER_PER_SECOND: '1000', RATE_LIMIT_PER_USER_PER_SECOND: '1000', SHED_MAX_EVENT_LOOP_DELAY_MS: '60000' },
  });
  const login = await call<{ accessToken: string }>(`${stack.apps.auth.url}/api/auth/login`, { body: { username: stack.config.ADMIN_USERNAME, password: stack.config.ADMIN_PASSWORD } });
  const admin = login.body.accessToken;
  const shopperA = await shopper('matrix_a', 'password-of-a');
  const shopperB = await shopper('matrix_b', 'password-of-b');
  const start = Date.now() + 1500;
  const sale = async (title: string) => {
    const created = await call<ActivityView>(`${stack.apps.admin.url}/api/admin/activities`, {
      token: admin,
      body: { title, priceCents: 700, stock: 10, startAt: new Date(start).toISOString(), endAt: new Date(start + 3600_000).toISOString() },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call(`${stack.apps.admin.url}/api/admin/activities/${created.body.id}/prewarm`, { method: 'POST', token: admin })).status, 200);
    return created.body.id;
  };
  const activityId = await sale('Matrix');
  const secondActivityId = await sale('Matrix 2');
  await sleep(Math.max(0, start - Date.now() + 100));
  const paidOrder = await buy(activityId, shopperA.token);
  const openOrder = await buy(secondActivityId, shopperA.token);
  const orderOfB = await buy(activityId, shopperB.token);
  const paid = await call<{ id: string; status: string }>(`${stack.apps.payment.url}/api/payments`, { token: shopperA.token, body: { orderId: paidOrder } });
  assert.equal(paid.status, 201, JSON.stringify(paid.body));
  await waitFor(async () => (await call<{ status: string }>(`${stack.apps.order.url}/api/orders/${paidOrder}`, { token: shopperA.token })).body.status === 'PAID', 10_000, 'the order to be paid');
  f = { shopperA, shopperB, admin, paidOrder, payment: paid.body.id, openOrder, orderOfB, activityId, secondActivityId };
  await settledState(stack, ignoreKey);
});

after(async () => {
  await stack?.close();
});

type Target = { app: StackApp; route: ServedRoute; row?: Row; admin?: AdminRouteCase; group?: 'static' | 'board' };

/** Every served route of every service with what covers it; a route nothing covers has none of row/admin/group. */
function targets(): Target[] {
  const cases = adminRouteCases(placeholderIds);
  const apps = [...Object.values(stack.apps), ...(stack.seckillController ? [stack.seckillController] : [])];
  return apps.flatMap((app) =>
    app.routes
      .filter((route) => route.method !== 'HEAD')
      .map((route): Target => {
        const row = MATRIX[app.service][routeKey(route)];
        if (row) return { app, route, row };
        if (isStatic(app.service, route.url)) return { app, route, group: 'static' };
        if (isBoard(app.service, route.url)) return { app, route, group: 'board' };
        return { app, route, admin: app.service === 'admin' ? adminCase(route, cases) : undefined };
      }),
  );
}

/** The board route's path with its parameters filled (a queue that does not exist: nothing can be acted on). */
const boardPath = (url: string) => url.replace(/:\w+/g, 'no-such-queue').replace(/\*$/, 'x.js');

describe('authorization matrix of every route of every service', () => {
  it('has a row for every route the services serve', () => {
    const uncovered = targets().filter((t) => !t.row && !t.admin && !t.group).map((t) => `${t.app.service}: ${routeKey(t.route)}`);
    assert.deepEqual(uncovered, [], 'routes without a row in the access matrix (tools/security/access.e2e.spec.ts, or apps/admin/src/admin-route-matrix.ts)');
    // Every row is a route that is served, too: a renamed route does not leave a row that tests nothing.
    for (const [service, rows] of Object.entries(MATRIX) as Array<[ServiceName, Record<string, Row>]>) {
      for (const key of Object.keys(rows)) assert.ok(stack.apps[service].routes.some((r) => routeKey(r) === key), `${service}: ${key} is not served`);
    }
  });

  it('refuses forged, expired and malformed access tokens with 401 on every guarded route, changing nothing', async () => {
    const before = await countState(stack.config, ignoreKey);
    const shopperForgeries = forgedCredentials(f.shopperA.token, { sub: f.shopperA.id, role: 'user' });
    const adminForgeries = forgedCredentials(f.admin, { sub: '1', role: 'admin' }).concat(
      // A shopper's own valid token made to claim the admin role, its signature kept.
      forgedCredentials(f.shopperA.token, { sub: f.shopperA.id, role: 'user' }).filter(([label]) => label.startsWith('tampered')),
    );
    const cases = adminRouteCases(placeholderIds);
    let checked = 0;
    for (const target of targets()) {
      const { app, route } = target;
      let request: Request | undefined;
      let forgeries = shopperForgeries;
      if (target.row?.access === 'shopper') request = target.row.request(f);
      else if (target.admin) {
        request = target.admin;
        forgeries = adminForgeries;
      } else if (target.group === 'board') {
        request = { method: route.method, path: boardPath(route.url) };
        forgeries = adminForgeries;
      }
      if (!request) continue;
      for (const [label, authorization] of forgeries) {
        const response = await send(app, request, authorization);
        assertErrorResponse(response, { status: 401, code: 'UNAUTHENTICATED' }, `${app.service} ${request.method} ${request.path} with ${label}`);
        checked++;
      }
    }
    assert.ok(checked > 500, `only ${checked} requests`);
    assert.ok(cases.length > 0);
    assert.deepEqual(stateDifferences(before, await countState(stack.config, ignoreKey)), [], 'forged tokens changed state');
  });

  it('refuses them alike at both doors of the purchase: the fast path and the controller', async () => {
    assert.ok(stack.seckillController);
    const request = { method: 'POST', path: `/api/activities/${f.activityId}/purchase`, body: { token: 'x.y.z' } };
    for (const [label, authorization] of forgedCredentials(f.shopperB.token, { sub: f.shopperB.id, role: 'user' })) {
      const viaFastPath = await send(stack.apps.seckill, request, authorization);
      const viaController = await send(stack.seckillController, request, authorization);
      assertErrorResponse(viaFastPath, { status: 401, code: 'UNAUTHENTICATED' }, `fast path, ${label}`);
      assert.deepEqual([viaController.status, JSON.parse(viaController.text)], [viaFastPath.status, JSON.parse(viaFastPath.text)], `the doors disagree on ${label}`);
    }
  });

  it('anonymous callers get 401 on every guarded route, shoppers 403 on the queue board and nothing changes', async () => {
    const before = await countState(stack.config, ignoreKey);
    for (const target of targets()) {
      const { app, route, row } = target;
      if (row && row.access !== 'public') {
        const request = row.request(f);
        assertErrorResponse(await send(app, request), { status: 401, code: 'UNAUTHENTICATED' }, `anonymous ${app.service} ${routeKey(route)}`);
        if (row.access === 'operator' || row.access === 'signature') {
          // A token, even an admin's, is not the provider's key nor its signature.
          assertErrorResponse(await send(app, request, bearer(f.admin)), { status: 401, code: 'UNAUTHENTICATED' }, `admin token on ${routeKey(route)}`);
        }
      }
      if (target.group === 'board') {
        const request = { method: route.method, path: boardPath(route.url) };
        assertErrorResponse(await send(app, request), { status: 401, code: 'UNAUTHENTICATED' }, `anonymous board ${routeKey(route)}`);
        assertErrorResponse(await send(app, request, bearer(f.shopperA.token)), { status: 403, code: 'FORBIDDEN' }, `shopper board ${routeKey(route)}`);
        const asAdmin = await send(app, request, bearer(f.admin));
        assert.ok(![401, 403].includes(asAdmin.status) && asAdmin.status < 500, `admin board ${routeKey(route)}: ${asAdmin.status} ${asAdmin.text.slice(0, 200)}`);
      }
    }
    // The stream refuses a shopper too (the table's rows are refused to shoppers by operations.e2e.spec.ts).
    assertErrorResponse(await send(stack.apps.admin, { method: 'GET', path: ADMIN_STREAM_PATH }, bearer(f.shopperA.token)), { status: 403, code: 'FORBIDDEN' }, 'shopper on the stream');
    assert.deepEqual(stateDifferences(before, await countState(stack.config, ignoreKey)), [], 'refusals changed state');
  });

  it("another shopper gets 404 for shopper A's orders and payments, sees none of them, and changes nothing", async () => {
    const before = await countState(stack.config, ignoreKey);
    for (const target of targets()) {
      const { app, route, row } = target;
      if (!row || row.access !== 'shopper') continue;
      const request = row.request(f);
      const asB = await send(app, request, bearer(f.shopperB.token));
      if (row.otherShopper !== undefined) {
        assertErrorResponse(asB, { status: row.otherShopper, code: 'NOT_FOUND' }, `shopper B on A's ${routeKey(route)}`);
        const asAdmin = await send(app, request, bearer(f.admin));
        assert.equal(asAdmin.status, row.admin ?? row.ok, `admin on A's ${routeKey(route)} through the shoppers' API: ${asAdmin.text.slice(0, 200)}`);
      } else {
        // Not a resource of A: B gets B's own answer, in which nothing of A's shows.
        assert.ok(asB.status < 500, `${routeKey(route)}: ${asB.status}`);
        for (const id of [f.paidOrder, f.openOrder, f.payment]) assert.ok(!asB.text.includes(`"${id}"`), `${routeKey(route)} shows B ${id} of A: ${asB.text.slice(0, 300)}`);
      }
    }
    const orders = (await call<{ items: Array<{ id: string }> }>(`${stack.apps.order.url}/api/orders`, { token: f.shopperB.token })).body.items.map((o) => o.id);
    assert.deepEqual(orders, [f.orderOfB]);
    const me = (await call<{ id: string }>(`${stack.apps.auth.url}/api/auth/me`, { token: f.shopperB.token })).body;
    assert.equal(me.id, f.shopperB.id);
    assert.deepEqual(stateDifferences(before, await countState(stack.config, ignoreKey)), [], "B's attempts changed state");
    const a = await call<{ status: string }>(`${stack.apps.order.url}/api/orders/${f.openOrder}`, { token: f.shopperA.token });
    assert.equal(a.body.status, 'PENDING_PAYMENT', "A's open order is untouched");
  });

  it('lets each caller in where the matrix says: anyone on public routes, the owner on its own, the operator with its key', async () => {
    const rows = targets().filter((t) => t.row);
    const order = (t: Target) => (t.row!.changes === 'last' ? 2 : t.row!.changes === 'state' ? 1 : 0);
    for (const target of rows.sort((x, y) => order(x) - order(y))) {
      const { app, route, row } = target as Required<Pick<Target, 'app' | 'route' | 'row'>>;
      const request = row.request(f);
      const authorization = row.access === 'shopper' ? bearer(f.shopperA.token) : undefined;
      const operatorKey: Record<string, string> = row.access === 'operator' ? { [PROVIDER_HEADERS.adminKey]: OPERATOR_KEY } : {};
      const response = await send(app, request, authorization, operatorKey);
      assert.equal(response.status, row.ok, `${app.service} ${routeKey(route)}: ${response.text.slice(0, 300)}`);
      if (response.status >= 400) assertErrorResponse(response, {}, `${app.service} ${routeKey(route)}`);
    }
    // Static files are anyone's (a file a package does not ship, such as swagger-ui's LICENSE, is a plain 404).
    for (const target of targets().filter((t) => t.group === 'static')) {
      const response = await send(target.app, { method: target.route.method, path: target.route.url.replace(/\*$/, 'index.html') });
      assert.ok(![401, 403].includes(response.status) && response.status < 500, `${target.app.service} ${routeKey(target.route)}: ${response.status}`);
    }
    assert.equal((await send(stack.apps.seckill, { method: 'GET', path: '/shop/' })).status, 200);
    assert.equal((await send(stack.apps.admin, { method: 'GET', path: '/admin/' })).status, 200);
  });
});
