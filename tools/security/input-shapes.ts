/**
 * What every route of every service takes, written down from the contract as the oracle of the property tests: who
 * may call it, what its path parameters are, and the fields of its body and query with their rules. The routes
 * themselves come from the running apps; a served route with no shape here fails the test, and so does a shape that
 * leaves out a body or query the route's OpenAPI document declares.
 */
import fc from 'fast-check';
import { QUEUES } from '@seckill/contracts';
import { SWITCH_NAMES } from '@seckill/flow-control';
import { ServiceName } from '@seckill/contracts';

/** Who gets past a route's guard: its callers in the tests carry what this says. */
export type Caller = 'anyone' | 'shopper' | 'admin' | 'operator';

/** A field of a body or query, as the contract states its rule. */
export type Field =
  | { name: string; type: 'int'; min: number; max: number; required?: boolean }
  | { name: string; type: 'number'; min: number; max: number; required?: boolean }
  | { name: string; type: 'string'; minLength?: number; maxLength: number; pattern?: RegExp; required?: boolean }
  | { name: string; type: 'bool'; required?: boolean }
  | { name: string; type: 'date'; required?: boolean }
  | { name: string; type: 'object'; fields: Field[]; required?: boolean };

/** The kinds of path parameter: how to fill one validly (naming what the fixture holds) and how to tell a valid one. */
export type ParamKind = 'activity' | 'order' | 'payment' | 'switch' | 'plan' | 'queue' | 'job' | 'boardQueue' | 'boardOther';

export interface Shape {
  caller: Caller;
  /** Path parameter → its kind. */
  params?: Record<string, ParamKind>;
  /** The body's fields and a valid body (sent with one field made invalid); absent: the route takes no body. */
  body?: { fields: Field[]; valid: Record<string, unknown> };
  /** The query's fields and a valid query; absent: the route reads no query. */
  query?: { fields: Field[]; valid: Record<string, string> };
  /**
   * The route checks a signature over the raw body before anything else (the provider's callback). It also ignores
   * fields it does not know, on purpose: a provider adds fields to its notifications over time, and refusing them
   * would leave real payments unsettled.
   */
  signed?: boolean;
  /** A third-party route (the queue board's): its bodies are not ours to describe, only its guard and parameters. */
  thirdParty?: boolean;
}

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
const DECIMAL_ID = /^[1-9][0-9]{0,18}$/;
const PROVIDER_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const HEX = /^(?:[0-9a-f]{2}){1,64}$/;
const INT32 = 2147483647;

const frontDoor: Field[] = [
  {
    name: 'waitingRoom',
    type: 'object',
    fields: [
      { name: 'enabled', type: 'bool', required: true },
      { name: 'admitPerSecond', type: 'int', min: 1, max: 100_000, required: true },
    ],
  },
  { name: 'staggerSeconds', type: 'int', min: 0, max: 3600 },
  { name: 'maxParticipants', type: 'int', min: 0, max: 10_000_000 },
  { name: 'challengeDifficulty', type: 'int', min: 0, max: 5_000_000 },
];

const activityFields = (required: boolean): Field[] => [
  { name: 'title', type: 'string', minLength: 1, maxLength: 200, required },
  { name: 'description', type: 'string', maxLength: 5000 },
  { name: 'priceCents', type: 'int', min: 0, max: 1_000_000_000, required },
  { name: 'originalPriceCents', type: 'int', min: 0, max: 1_000_000_000 },
  { name: 'stock', type: 'int', min: 1, max: 10_000_000, required },
  { name: 'stockShards', type: 'int', min: 1, max: 64 },
  { name: 'startAt', type: 'date', required },
  { name: 'endAt', type: 'date', required },
  { name: 'paymentTimeoutSeconds', type: 'int', min: 1, max: 86_400 },
  ...frontDoor,
];

const credentials = (passwordMax: number, passwordMin: number): Shape['body'] => ({
  fields: [
    { name: 'username', type: 'string', maxLength: 32, pattern: USERNAME, required: true },
    { name: 'password', type: 'string', minLength: passwordMin, maxLength: passwordMax, required: true },
  ],
  valid: { username: 'property_user', password: 'a-valid-password' },
});

const pageQuery = (maxLimit: number, extra: Field[] = [], valid: Record<string, string> = {}): Shape['query'] => ({
  fields: [
    { name: 'limit', type: 'int', min: 1, max: maxLimit },
    { name: 'cursor', type: 'string', maxLength: 19, pattern: DECIMAL_ID },
    ...extra,
  ],
  valid: { limit: '10', ...valid },
});

/** Routes every service serves, whoever calls. */
const COMMON: Record<string, Shape> = {
  'GET /health/live': { caller: 'anyone' },
  'GET /health/ready': { caller: 'anyone' },
  'GET /metrics': { caller: 'anyone' },
};

/**
 * The shapes of every service's own routes, keyed `METHOD /url` as Fastify names them. Static files (the OpenAPI UI,
 * the shop page, the dashboard) and the queue board's routes are matched by {@link groupShape} instead.
 */
export const SHAPES: Record<ServiceName, Record<string, Shape>> = {
  auth: {
    ...COMMON,
    'POST /api/auth/register': { caller: 'anyone', body: credentials(128, 8) },
    'POST /api/auth/login': { caller: 'anyone', body: credentials(1024, 1) },
    'GET /api/auth/me': { caller: 'shopper' },
  },
  seckill: {
    ...COMMON,
    'GET /api/activities': { caller: 'anyone' },
    'GET /api/activities/:id': { caller: 'anyone', params: { id: 'activity' } },
    'GET /api/activities/:id/stock': { caller: 'anyone', params: { id: 'activity' } },
    'POST /api/activities/:id/token': {
      caller: 'shopper',
      params: { id: 'activity' },
      body: {
        fields: [
          { name: 'challenge', type: 'string', minLength: 1, maxLength: 4096 },
          {
            name: 'solution',
            type: 'object',
            fields: [
              { name: 'counter', type: 'int', min: 0, max: 0xffffffff, required: true },
              { name: 'derivedKey', type: 'string', maxLength: 128, pattern: HEX, required: true },
              { name: 'time', type: 'number', min: -Number.MAX_VALUE, max: Number.MAX_VALUE },
            ],
          },
        ],
        valid: {},
      },
    },
    'POST /api/activities/:id/queue': { caller: 'shopper', params: { id: 'activity' } },
    'GET /api/activities/:id/queue': { caller: 'shopper', params: { id: 'activity' } },
    'GET /api/activities/:id/challenge': { caller: 'shopper', params: { id: 'activity' } },
    'POST /api/activities/:id/purchase': {
      caller: 'shopper',
      params: { id: 'activity' },
      body: { fields: [{ name: 'token', type: 'string', minLength: 1, maxLength: 200, required: true }], valid: { token: 'not-a-real-token' } },
    },
    'GET /api/activities/:id/result': { caller: 'shopper', params: { id: 'activity' } },
    'GET /api/client-config': { caller: 'anyone' },
  },
  order: {
    ...COMMON,
    'GET /api/orders': { caller: 'shopper', query: pageQuery(100) },
    'GET /api/orders/:id': { caller: 'shopper', params: { id: 'order' } },
    'POST /api/orders/:id/cancel': { caller: 'shopper', params: { id: 'order' } },
  },
  payment: {
    ...COMMON,
    'POST /api/payments': {
      caller: 'shopper',
      body: { fields: [{ name: 'orderId', type: 'string', maxLength: 19, pattern: DECIMAL_ID, required: true }], valid: { orderId: '1234567890123' } },
    },
    'GET /api/payments/:id': { caller: 'shopper', params: { id: 'payment' } },
    'POST /api/payments/callback': {
      caller: 'anyone',
      signed: true,
      body: {
        fields: [
          { name: 'eventId', type: 'string', maxLength: 64, required: true },
          { name: 'type', type: 'string', maxLength: 20, pattern: /^charge\.(succeeded|declined|refunded)$/, required: true },
          { name: 'chargeId', type: 'string', maxLength: 64, required: true },
          { name: 'merchantRef', type: 'string', maxLength: 19, pattern: DECIMAL_ID, required: true },
          { name: 'amountCents', type: 'int', min: 0, max: 1_000_000_000, required: true },
          { name: 'status', type: 'string', maxLength: 10, pattern: /^(SUCCEEDED|DECLINED|REFUNDED)$/, required: true },
          { name: 'occurredAt', type: 'string', maxLength: 40, required: true },
        ],
        // A well-formed notification of a payment that does not exist: 404, so a field made invalid must give 400.
        valid: {
          eventId: 'evt-property',
          type: 'charge.succeeded',
          chargeId: 'ch-property',
          merchantRef: '999999999',
          amountCents: 100,
          status: 'SUCCEEDED',
          refundId: null,
          occurredAt: '2026-01-01T00:00:00.000Z',
        },
      },
    },
  },
  admin: {
    ...COMMON,
    'POST /api/admin/activities': {
      caller: 'admin',
      body: {
        fields: activityFields(true),
        // Never sent as is: a field of it is always made invalid.
        valid: { title: 'property', priceCents: 100, stock: 1, startAt: '2030-01-01T00:00:00.000Z', endAt: '2030-01-01T01:00:00.000Z' },
      },
    },
    'GET /api/admin/activities': { caller: 'admin' },
    'GET /api/admin/activities/:id': { caller: 'admin', params: { id: 'activity' } },
    'PATCH /api/admin/activities/:id': { caller: 'admin', params: { id: 'activity' }, body: { fields: activityFields(false), valid: {} } },
    'POST /api/admin/activities/:id/prewarm': { caller: 'admin', params: { id: 'activity' } },
    'GET /api/admin/switches': { caller: 'admin' },
    'GET /api/admin/switches/definitions': { caller: 'admin' },
    'PUT /api/admin/switches/:name': {
      caller: 'admin',
      params: { name: 'switch' },
      // The parameter's valid value is purchaseShedPercent: an integer from 0 to 100.
      body: { fields: [{ name: 'value', type: 'int', min: 0, max: 100, required: true }], valid: { value: 0 } },
    },
    'GET /api/admin/reconciliation': {
      caller: 'admin',
      query: { fields: [{ name: 'activityId', type: 'int', min: 1, max: INT32, required: true }], valid: { activityId: '1' } },
    },
    'GET /api/admin/orders': { caller: 'admin', query: pageQuery(200, [{ name: 'activityId', type: 'int', min: 1, max: INT32 }]) },
    'GET /api/admin/queues': { caller: 'admin' },
    'GET /api/admin/stats': { caller: 'admin' },
    'GET /api/admin/stream': { caller: 'admin' },
    'GET /api/admin/plans': { caller: 'admin' },
    'POST /api/admin/plans/:name/apply': { caller: 'admin', params: { name: 'plan' } },
    'POST /api/admin/plans/:name/revert': { caller: 'admin', params: { name: 'plan' } },
    'GET /api/admin/audit': { caller: 'admin', query: pageQuery(200) },
    'POST /api/admin/queues/:queue/jobs/:id/retry': { caller: 'admin', params: { queue: 'queue', id: 'job' } },
    'POST /api/admin/queues/:queue/jobs/:id/discard': { caller: 'admin', params: { queue: 'queue', id: 'job' } },
    'POST /api/admin/session': { caller: 'admin' },
    'DELETE /api/admin/session': { caller: 'admin' },
    // The dashboard's sign-in, forwarded to the auth service when admin is reached on its own port.
    'POST /api/auth/login': { caller: 'anyone', body: credentials(1024, 1) },
  },
  paysim: {
    ...COMMON,
    'POST /provider/charges': {
      caller: 'anyone',
      body: {
        fields: [
          { name: 'merchantRef', type: 'string', maxLength: 128, pattern: PROVIDER_KEY, required: true },
          { name: 'amountCents', type: 'int', min: 1, max: 1_000_000_000, required: true },
          { name: 'idempotencyKey', type: 'string', maxLength: 128, pattern: PROVIDER_KEY, required: true },
        ],
        valid: { merchantRef: 'property', amountCents: 100, idempotencyKey: 'property-key' },
      },
    },
    'GET /provider/charges': {
      caller: 'anyone',
      query: {
        fields: [
          { name: 'since', type: 'date' },
          { name: 'limit', type: 'int', min: 1, max: 10_000 },
        ],
        valid: { limit: '10' },
      },
    },
    'POST /provider/refunds': {
      caller: 'anyone',
      body: {
        fields: [
          { name: 'chargeId', type: 'string', maxLength: 64, required: true },
          { name: 'idempotencyKey', type: 'string', maxLength: 128, pattern: PROVIDER_KEY, required: true },
        ],
        valid: { chargeId: 'no-such-charge', idempotencyKey: 'property-refund' },
      },
    },
    'GET /provider/faults': { caller: 'operator' },
    'PUT /provider/faults': {
      caller: 'operator',
      body: {
        fields: [
          ...['latencyMs', 'slowLatencyMs', 'duplicateDelayMs', 'reorderWindowMs', 'callbackDelayMs'].map((name): Field => ({ name, type: 'int', min: 0, max: 120_000 })),
          ...['failureRate', 'slowRate', 'declineRate', 'duplicateRate'].map((name): Field => ({ name, type: 'number', min: 0, max: 1 })),
          { name: 'down', type: 'bool' },
        ],
        valid: {},
      },
    },
    // Milliseconds since the epoch, with no upper bound: a time far in the future lists nothing.
    'GET /provider/requests': { caller: 'operator', query: { fields: [{ name: 'since', type: 'int', min: 0, max: Number.MAX_VALUE }], valid: {} } },
  },
};

/**
 * Routes that come in groups from a plugin rather than one by one: static files (GET only, public) and the queue
 * board (admin only, its own answers). A new route of such a group gets the group's shape, and is exercised like the
 * others; any other route must have its own entry in SHAPES.
 */
export function groupShape(service: ServiceName, url: string): Shape | undefined {
  if (url === '/docs' || url === '/docs-json' || url === '/docs-yaml' || url.startsWith('/docs/')) return { caller: 'anyone' };
  if (service === 'seckill' && (url === '/shop' || url.startsWith('/shop/'))) return { caller: 'anyone' };
  if (service === 'admin' && (url === '/admin/queues' || url.startsWith('/admin/queues/'))) {
    // Its API (under api/) answers for a queue by name; its pages are the single-page app's shell whatever the name.
    const api = url.startsWith('/admin/queues/api/');
    const kind = (name: string): ParamKind => (api && name === 'queueName' ? 'boardQueue' : 'boardOther');
    const params = Object.fromEntries([...url.matchAll(/:(\w+)/g)].map(([, name]) => [name, kind(name)] as const));
    return { caller: 'admin', params, thirdParty: true };
  }
  if (service === 'admin' && (url === '/admin' || url === '/admin/*')) return { caller: 'anyone' };
  return undefined;
}

/** The shape of a served route, or undefined when nobody wrote one. */
export function shapeOf(service: ServiceName, method: string, url: string): Shape | undefined {
  return SHAPES[service][`${method} ${url}`] ?? groupShape(service, url);
}

const QUEUE_NAMES: string[] = Object.values(QUEUES);
const PLANS = ['level1', 'level2', 'level3'];

/** What the fixture holds, for filling parameters validly. */
export interface Fixture {
  activityId: number;
}

/** A valid value of a parameter (names something that exists, where that matters). */
export function validParam(kind: ParamKind, fixture: Fixture): string {
  switch (kind) {
    case 'activity':
      return String(fixture.activityId);
    case 'order':
      return '1234567890123';
    case 'payment':
      return '999999';
    case 'switch':
      return 'purchaseShedPercent';
    case 'plan':
      return 'level1';
    case 'queue':
    case 'boardQueue':
      return QUEUES.orderCreate;
    case 'job':
    case 'boardOther':
      return 'no-such-job';
  }
}

/**
 * Whether a parameter value names something that exists, so that a request with it could succeed; every other
 * value is a bad one and must be refused. Only the canonical spelling of an existing id counts: "01", "1.0" or
 * "0x1" for activity 1 are bad ids, not other names of it.
 */
export function goodParam(kind: ParamKind, value: string, fixture: Fixture): boolean {
  switch (kind) {
    case 'activity':
      return value === String(fixture.activityId);
    case 'order':
    case 'payment':
    case 'job':
      return false; // the fixture holds none: every id is unknown
    case 'switch':
      return SWITCH_NAMES.includes(value as never);
    case 'plan':
      return PLANS.includes(value);
    case 'queue':
    case 'boardQueue':
      return QUEUE_NAMES.includes(value);
    case 'boardOther':
      return true; // only the queue name is made bad on the board's routes (its statuses would act on real jobs)
  }
}

/** Ids and names that are wrong in the ways that matter: other spellings of numbers, out of range, unicode digits. */
const BAD_IDS = [
  '0', '-1', '-0', '00', '01', '+1', ' 1', '1 ', '1.0', '1.5', '1e3', '1e0', '0x1', '0b1', '1_000', 'NaN', 'Infinity', '-Infinity',
  'null', 'undefined', 'true', '[]', '{}', '[object Object]', '..', '.', '%', '\\', '\0', '\n', "'", '"', '1;DROP TABLE orders',
  '9'.repeat(20), '18446744073709551616', '9223372036854775808', '9223372036854775807', '2147483648', '4294967296',
  '-9223372036854775809', '１２３', '١٢٣', '¹', '½', 'İ', '𝟙', 'constructor', '__proto__', 'prototype', 'toString',
  'level0', 'LEVEL1', 'level1 ', 'order_create', 'ORDER-CREATE',
];

/** A bad value for a parameter of this kind (see goodParam), unicode and over-long ones included. */
export function badParam(kind: ParamKind, fixture: Fixture): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.constantFrom(...BAD_IDS) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }) },
      { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
      { weight: 1, arbitrary: fc.double({ noNaN: true }).map(String) },
      // Longer than any parameter may be: 414 before routing.
      { weight: 1, arbitrary: fc.string({ minLength: 101, maxLength: 400 }) },
    )
    // '.' and '..' are dot-segments: every URL parser resolves them before sending, so the server never sees them as
    // a parameter (`/queues/./pause` is sent as `/queues/pause`, another route).
    .filter((value) => value.length > 0 && value !== '.' && value !== '..' && !goodParam(kind, value, fixture));
}

/** A value of another JSON type than the field's (null only for a required field: null is "absent" otherwise). */
function wrongType(field: Field): fc.Arbitrary<unknown> {
  const all: Array<[string, fc.Arbitrary<unknown>]> = [
    ['string', fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('1', '0', 'true', '2030-01-01T00:00:00.000Z'))],
    ['number', fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))],
    ['bool', fc.boolean()],
    ['array', fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })],
  ];
  const own = field.type === 'int' || field.type === 'number' ? 'number' : field.type === 'date' ? 'string' : field.type;
  const others = all.filter(([type]) => type !== own).map(([, arbitrary]) => arbitrary);
  if (field.required) others.push(fc.constant(null));
  // A date is a string; an object field (a nested DTO) refuses arrays and scalars alike.
  return fc.oneof(...others);
}

/** A value of the field's type that breaks its rule: out of range, a fraction, too long, off-pattern, not a date. */
function outOfRule(field: Field): fc.Arbitrary<unknown> | undefined {
  switch (field.type) {
    case 'int':
      return fc.oneof(
        fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: field.min - 1 }).filter((n) => n < field.min),
        ...(field.max < Number.MAX_SAFE_INTEGER ? [fc.integer({ min: field.max + 1, max: Number.MAX_SAFE_INTEGER })] : []),
        fc.double({ min: field.min, max: Math.min(field.max, 1e12), noInteger: true, noNaN: true }),
        fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 1e21).filter((n) => n < field.min || n > field.max),
      );
    case 'number':
      return field.max === Number.MAX_VALUE ? undefined : fc.oneof(fc.double({ min: field.max, noNaN: true, noDefaultInfinity: true }).filter((n) => n > field.max), fc.double({ max: field.min, noNaN: true, noDefaultInfinity: true }).filter((n) => n < field.min), fc.constantFrom(1e308, -1e308));
    case 'string': {
      const options: fc.Arbitrary<unknown>[] = [
        // Longer than allowed, in code points (variation selectors do not count as characters for the rule).
        fc.string({ unit: 'binary', minLength: field.maxLength + 1, maxLength: field.maxLength + 40 }).filter((s) => [...s.replace(/[\uFE0E\uFE0F]/g, '')].length > field.maxLength),
      ];
      if ((field.minLength ?? 0) > 0) options.push(fc.constant(''));
      const pattern = field.pattern;
      if (pattern) options.push(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 20 }).filter((s) => !pattern.test(s)));
      return fc.oneof(...options);
    }
    case 'date':
      return fc.oneof(fc.constantFrom('not a date', '2030-13-45T99:99:99Z', '', 'tomorrow', '٢٠٣٠-٠١-٠١'), fc.string({ unit: 'grapheme', maxLength: 16 })).filter((s) => Number.isNaN(Date.parse(s)));
    case 'bool':
    case 'object':
      return undefined;
  }
}

/** One way a body or query is made invalid, and the field its error must name. */
export interface Mutation {
  describe: string;
  /** The dotted field the answer's details must name. */
  field: string;
  apply(valid: Record<string, unknown>): Record<string, unknown>;
}

/** Names a field may not have: unknown ones, and those of Object.prototype, which a careless mapper drops silently. */
const EXTRA_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isAdmin', 'role', 'userId', 'id', 'status', 'remaining'];

function setPath(target: Record<string, unknown>, path: string[], value: unknown, remove: boolean): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...target };
  const [head, ...rest] = path;
  if (rest.length === 0) {
    if (remove) delete copy[head];
    else Object.defineProperty(copy, head, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  const child = copy[head];
  copy[head] = setPath(child && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : {}, rest, value, remove);
  return copy;
}

/** A valid value of a field (for filling in a nested object's siblings). */
function validValue(field: Field): unknown {
  switch (field.type) {
    case 'int':
    case 'number':
      return Math.max(field.min, Math.min(field.max, 1));
    case 'string':
      return 'a'.repeat(Math.max(1, field.minLength ?? 1));
    case 'bool':
      return true;
    case 'date':
      return '2030-01-01T00:00:00.000Z';
    case 'object':
      return Object.fromEntries(field.fields.filter((f) => f.required).map((f) => [f.name, validValue(f)]));
  }
}

/** Every way to make a body or query with these fields invalid by one field (`extras`: unknown fields are refused). */
export function mutations(fields: Field[], validBody: Record<string, unknown>, extras = true, prefix: string[] = []): fc.Arbitrary<Mutation> {
  const known = new Set(fields.map((f) => f.name));
  const choices: fc.Arbitrary<Mutation>[] = [];
  // Where a nested field is changed, its object is first made whole, so the change is its only fault.
  const withParent = (body: Record<string, unknown>) => {
    if (prefix.length === 0) return body;
    const parent = prefix.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], body);
    if (parent && typeof parent === 'object') return body;
    const whole = Object.fromEntries(fields.filter((f) => f.required).map((f) => [f.name, validValue(f)]));
    return setPath(body, prefix, whole, false);
  };
  for (const field of fields) {
    const path = [...prefix, field.name];
    const name = path.join('.');
    choices.push(wrongType(field).map((value) => ({ describe: `${name} = ${JSON.stringify(value)} (wrong type)`, field: name, apply: (body) => setPath(withParent(body), path, value, false) })));
    const broken = outOfRule(field);
    if (broken) choices.push(broken.map((value) => ({ describe: `${name} = ${JSON.stringify(value)?.slice(0, 80)} (breaks its rule)`, field: name, apply: (body) => setPath(withParent(body), path, value, false) })));
    if (field.required) choices.push(fc.constant({ describe: `${name} missing`, field: name, apply: (body) => setPath(withParent(body), path, undefined, true) }));
    if (field.type === 'object') choices.push(mutations(field.fields, validBody, extras, path));
  }
  if (!extras) return fc.oneof(...choices);
  const extraKey = fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 })).filter((key) => !known.has(key) && key !== '__proto__');
  choices.push(
    fc.tuple(extraKey, fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => ({
      describe: `extra field ${JSON.stringify(key)}`,
      field: [...prefix, key].join('.'),
      apply: (body: Record<string, unknown>) => setPath(withParent(body), [...prefix, key], value, false),
    })),
  );
  return fc.oneof(...choices);
}

/** A query value that breaks a query field's rule (query values are strings; numbers are read as JavaScript does). */
export function badQueryValue(field: Field): fc.Arbitrary<string | string[]> {
  const junk = fc.oneof(fc.constantFrom(...BAD_IDS, ''), fc.string({ unit: 'grapheme', maxLength: 16 }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String));
  let single: fc.Arbitrary<string>;
  switch (field.type) {
    case 'int':
      single = junk.filter((s) => {
        const n = Number(s);
        return !(Number.isInteger(n) && n >= field.min && n <= field.max);
      });
      break;
    case 'date':
      single = junk.filter((s) => Number.isNaN(new Date(s).getTime()));
      break;
    case 'string':
      single = junk.filter((s) => !(field.pattern ?? /^/).test(s) || [...s].length > field.maxLength);
      break;
    default:
      single = junk;
  }
  // A repeated key arrives as an array, which no field takes.
  return fc.oneof({ weight: 5, arbitrary: single }, { weight: 1, arbitrary: fc.tuple(fc.constant('1'), fc.constant('2')).map((pair) => [...pair]) });
}
