/**
 * The HTTP contract every service shares (docs/api.md, "Errors"), checked against a running service: unknown
 * routes, malformed, oversized and non-JSON bodies all get the error body `{code, message, retryable}` with a 4xx
 * status and no stack trace, and the health and metrics endpoints answer.
 *
 * Use {@link httpContractChecks} to get one named check per case (one `it()` each), or
 * {@link assertHttpErrorContract} to run them all in one go.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { DynamicModule } from '@nestjs/common';
import { ERROR_CODES, ErrorCode, ServiceName } from '@seckill/contracts';
import type { AppConfig, HttpAppOptions } from '@seckill/platform';
import { createTestConfig, createTestDatabases, dropTestResources, startTestApp, TestApp } from './test-env';

/** What to exercise beyond the routes every service has. */
export interface HttpContractOptions {
  /**
   * A real POST route of the service (e.g. `/api/auth/login`) and, if it needs one, a Bearer token that gets
   * past its guards, so the body checks reach the body parser and the validation pipe.
   */
  post?: { path: string; token?: string };
  /**
   * A real POST route that takes no body (e.g. `/api/activities/1/token`) and a token that gets past its guards:
   * an empty body must be accepted whatever its Content-Type (the answer is the one a request without any gets).
   */
  emptyPost?: { path: string; token?: string };
  /**
   * A real GET route with one path parameter written `:param` (e.g. `/api/activities/:param`): a parameter longer
   * than any valid one gets 414 URI_TOO_LONG, a malformed percent-encoding 400, both with the error body.
   */
  param?: { path: string; token?: string };
}

/** One named case of the contract; `run` throws an AssertionError when the service breaks it. */
export interface HttpContractCheck {
  name: string;
  run(baseUrl: string): Promise<void>;
}

/** A raw answer: status, headers and the body as text (so stack traces are looked for in what was sent). */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** What an error answer must be beyond the common rules; a missing field is not checked. */
export interface ExpectedError {
  status?: number;
  code?: ErrorCode;
}

/** Keys an error body may have: the three required ones, and `details` for validation failures. */
const ERROR_KEYS = new Set(['code', 'message', 'retryable', 'details']);

/** Signs of a leaked stack trace or server path: "at fn (file:1:2)" frames, source files, absolute paths. */
const STACK_PATTERNS: RegExp[] = [
  /\bat\s+[\w$.<>[\]]+\s+\([^)]*:\d+/, // "at Foo.bar (file:1:2"
  /\bat\s+(?:file:\/\/|\/|node:)/, // "at /app/x.js:1:2", "at node:internal/..."
  /\.(?:[cm]?js|ts):\d+(?::\d+)?/, // "x.js:12:3"
  /node_modules|node:internal|\/dist\/|\/src\//,
  /(?:^|[\s"'(])\/(?:work|home|usr|opt|app|srv|var|tmp|root)\//,
  /[A-Za-z]:\\\\/,
];

/**
 * Sends one request with exactly the given headers and raw body (no JSON encoding, unlike `call`; and unlike fetch,
 * no Content-Type is added to a body sent without one).
 */
export async function rawRequest(
  url: string,
  options: { method?: string; body?: string; contentType?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    // A connection per request: a server that closes one after an error must not fail the next request.
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) answer.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode ?? 0, headers: answer, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asserts that an answer is a well-formed contract error: status below 500 (and `expected.status` if given),
 * a JSON content type, a body with exactly code/message/retryable (+ optional details) whose code is a contract
 * code with that status and retryable flag, Retry-After on 429/503, and no stack trace or file path anywhere.
 */
export function assertErrorResponse(response: RawResponse, expected: ExpectedError = {}, label = 'response'): void {
  const context = `${label}: ${response.status} ${response.text.slice(0, 500)}`;
  assert.ok(response.status >= 400 && response.status < 500, `${context} — expected a 4xx status`);
  if (expected.status !== undefined) assert.equal(response.status, expected.status, context);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/, `${context} — content-type`);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff', `${context} — X-Content-Type-Options`);
  for (const pattern of STACK_PATTERNS) {
    assert.doesNotMatch(response.text, pattern, `${context} — the body leaks a stack trace or path`);
  }

  let body: unknown;
  assert.doesNotThrow(() => (body = JSON.parse(response.text)), `${context} — the body is not JSON`);
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `${context} — the body is not an object`);
  const record = body as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => !ERROR_KEYS.has(key));
  assert.deepEqual(extra, [], `${context} — unexpected keys in the error body`);

  assert.equal(typeof record.code, 'string', `${context} — code`);
  assert.ok((record.code as string) in ERROR_CODES, `${context} — ${String(record.code)} is not a contract code`);
  const code = record.code as ErrorCode;
  if (expected.code !== undefined) assert.equal(code, expected.code, context);
  assert.equal(response.status, ERROR_CODES[code].status, `${context} — status does not match ${code}`);
  assert.equal(typeof record.message, 'string', `${context} — message`);
  assert.ok((record.message as string).length > 0, `${context} — empty message`);
  assert.equal(record.retryable, ERROR_CODES[code].retryable, `${context} — retryable does not match ${code}`);
  if (response.status === 429 || response.status === 503) {
    assert.match(response.headers.get('retry-after') ?? '', /^\d+$/, `${context} — Retry-After`);
  }
}

/** An unknown path no service serves. */
const UNKNOWN_PATH = '/no-such-route/b7d1c2';
/** Just over 1 MiB of valid JSON: far above the 16 KiB body limit. */
const ONE_MIB_JSON = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
/** A path far longer than any route of any service. */
const LONG_PATH = `/api/${'a'.repeat(3000)}`;
/** Content types an empty body may come with (curl -d sends form-encoded, fetch with a string body text/plain). */
const EMPTY_BODY_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'];

/** A check that sends one request and asserts the error answer it gets. */
function errorCheck(
  name: string,
  request: (baseUrl: string) => Promise<RawResponse>,
  expected: ExpectedError = {},
): HttpContractCheck {
  return { name, run: async (baseUrl) => assertErrorResponse(await request(baseUrl), expected, name) };
}

/**
 * What every POST route does with a body it cannot take: malformed JSON, oversized, not JSON (text, XML, form-encoded,
 * or JSON text sent without a Content-Type). A route that takes a body also refuses an empty one (validation).
 */
function bodyChecks(route: { path: string; token?: string }, takesBody: boolean): HttpContractCheck[] {
  const send = (base: string, body: string, contentType?: string) =>
    rawRequest(`${base}${route.path}`, { method: 'POST', body, contentType, token: route.token });
  const checks = [
    errorCheck(`POST ${route.path} malformed JSON → 400 VALIDATION_FAILED`, (base) => send(base, '{bad', 'application/json'), {
      status: 400,
      code: 'VALIDATION_FAILED',
    }),
    errorCheck(`POST ${route.path} 1 MiB body → 413 PAYLOAD_TOO_LARGE`, (base) => send(base, ONE_MIB_JSON, 'application/json'), {
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    }),
    errorCheck(`POST ${route.path} text/plain body → 415 UNSUPPORTED_MEDIA_TYPE`, (base) => send(base, '{"a":1}', 'text/plain'), {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    }),
    errorCheck(`POST ${route.path} application/xml body → 415 UNSUPPORTED_MEDIA_TYPE`, (base) => send(base, '<a>1</a>', 'application/xml'), {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    }),
    errorCheck(
      `POST ${route.path} form-encoded body → 415 UNSUPPORTED_MEDIA_TYPE`,
      (base) => send(base, 'username=someone&password=secret-password&token=x', 'application/x-www-form-urlencoded'),
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    ),
    errorCheck(
      `POST ${route.path} JSON text without a Content-Type → 415 UNSUPPORTED_MEDIA_TYPE`,
      (base) => send(base, '{"token":"x","username":"someone"}'),
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    ),
  ];
  if (takesBody) {
    checks.push(
      errorCheck(`POST ${route.path} empty JSON body → 400 VALIDATION_FAILED`, (base) => send(base, '', 'application/json'), {
        status: 400,
        code: 'VALIDATION_FAILED',
      }),
      errorCheck(`POST ${route.path} JSON array body → 4xx error body`, (base) => send(base, '[1,2]', 'application/json')),
      errorCheck(`POST ${route.path} JSON null body → 4xx error body`, (base) => send(base, 'null', 'application/json')),
    );
  }
  return checks;
}

/**
 * The contract's cases, one per check, for a service at a base URL given at run time (so the list can be built
 * before the app has started). Without `post` only the routes every service has are exercised.
 */
export function httpContractChecks(options: HttpContractOptions = {}): HttpContractCheck[] {
  const checks: HttpContractCheck[] = [
    errorCheck('unknown route (GET) → 404 NOT_FOUND', (base) => rawRequest(`${base}${UNKNOWN_PATH}`), {
      status: 404,
      code: 'NOT_FOUND',
    }),
    errorCheck(
      'unknown route (POST) → 404 NOT_FOUND',
      (base) => rawRequest(`${base}${UNKNOWN_PATH}`, { method: 'POST', body: '{}', contentType: 'application/json' }),
      { status: 404, code: 'NOT_FOUND' },
    ),
    errorCheck('path longer than any valid one → 414 URI_TOO_LONG', (base) => rawRequest(`${base}${LONG_PATH}`), {
      status: 414,
      code: 'URI_TOO_LONG',
    }),
    errorCheck(
      'request headers too large → 4xx error body',
      (base) => rawRequest(`${base}/health/live`, { headers: { 'x-padding': 'x'.repeat(20 * 1024) } }),
    ),
    {
      name: 'GET /health/live → 200',
      run: async (base) => {
        const response = await rawRequest(`${base}/health/live`);
        assert.equal(response.status, 200, response.text);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      },
    },
    {
      name: 'no CORS unless configured: a cross-origin request and a preflight get no Access-Control-Allow-* header',
      run: async (base) => {
        const origin = 'https://elsewhere.example';
        const simple = await rawRequest(`${base}/health/live`, { headers: { origin } });
        const preflight = await rawRequest(`${base}/health/live`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
        });
        for (const response of [simple, preflight]) {
          const granted = [...response.headers.keys()].filter((name) => name.startsWith('access-control-allow-'));
          assert.deepEqual(granted, [], `${response.status} ${response.text}`);
        }
      },
    },
    {
      name: 'GET /health/ready → 200',
      run: async (base) => {
        const response = await rawRequest(`${base}/health/ready`);
        assert.equal(response.status, 200, response.text);
      },
    },
    {
      name: 'GET /metrics → 200 text/plain with process metrics',
      run: async (base) => {
        const response = await rawRequest(`${base}/metrics`);
        assert.equal(response.status, 200, response.text.slice(0, 500));
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain\b/);
        assert.match(response.text, /^process_cpu_user_seconds_total\b/m);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      },
    },
  ];

  if (options.post) checks.push(...bodyChecks(options.post, true));
  if (options.emptyPost) checks.push(...bodyChecks(options.emptyPost, false));

  const emptyPost = options.emptyPost;
  if (emptyPost) {
    checks.push({
      name: `POST ${emptyPost.path} empty body, whatever its Content-Type → the answer of a request without one`,
      run: async (base) => {
        const url = `${base}${emptyPost.path}`;
        const bare = await rawRequest(url, { method: 'POST', token: emptyPost.token });
        assert.ok(![400, 413, 415].includes(bare.status), `without a body: ${bare.status} ${bare.text}`);
        for (const contentType of EMPTY_BODY_TYPES) {
          const answer = await rawRequest(url, { method: 'POST', body: '', contentType, token: emptyPost.token });
          assert.equal(answer.status, bare.status, `${contentType}: ${answer.status} ${answer.text}`);
          if (bare.status >= 400) assert.equal(JSON.parse(answer.text).code, JSON.parse(bare.text).code, contentType);
        }
      },
    });
  }

  const param = options.param;
  if (param) {
    const at = (base: string, value: string) => rawRequest(`${base}${param.path.replace(':param', value)}`, { token: param.token });
    checks.push(
      errorCheck(`GET ${param.path} with a 300-character parameter → 414 URI_TOO_LONG`, (base) => at(base, 'x'.repeat(300)), {
        status: 414,
        code: 'URI_TOO_LONG',
      }),
      errorCheck(`GET ${param.path} with a malformed percent-encoding → 400 VALIDATION_FAILED`, (base) => at(base, '%E0%A4%A'), {
        status: 400,
        code: 'VALIDATION_FAILED',
      }),
    );
  }
  return checks;
}

/** Runs every check of {@link httpContractChecks} against the service at `baseUrl`, in order; throws on the first failure. */
export async function assertHttpErrorContract(baseUrl: string, options: HttpContractOptions = {}): Promise<void> {
  for (const check of httpContractChecks(options)) await check.run(baseUrl);
}

/**
 * The whole HTTP contract suite for one service: boots it on its own databases and Redis prefix, runs every check
 * of httpContractChecks as its own test, and cleans up.
 * @param options real routes of the service (see HttpContractOptions), so the body and parameter checks run too,
 *   the service's own setup of its Fastify instance, and configuration overrides
 */
export function describeHttpContract(
  service: ServiceName,
  register: (config: AppConfig) => DynamicModule,
  options: {
    post?: (config: AppConfig) => HttpContractOptions['post'];
    emptyPost?: (config: AppConfig) => HttpContractOptions['emptyPost'];
    param?: (config: AppConfig) => HttpContractOptions['param'];
    configure?: HttpAppOptions['configure'];
    /** Configuration the service needs for the checks (e.g. limits loose enough for their many requests). */
    env?: Record<string, string>;
  } = {},
): void {
  describe(`${service} service HTTP contract`, () => {
    const config = createTestConfig(options.env);
    let app: TestApp | undefined;

    before(async () => {
      await createTestDatabases(config);
      app = await startTestApp(service, register(config), config, options.configure);
    });

    after(async () => {
      await app?.close();
      await dropTestResources(config);
    });

    const checks = httpContractChecks({
      post: options.post?.(config),
      emptyPost: options.emptyPost?.(config),
      param: options.param?.(config),
    });
    for (const check of checks) {
      it(check.name, () => {
        assert.ok(app, `${service} did not start`);
        return check.run(app.url);
      });
    }
  });
}
