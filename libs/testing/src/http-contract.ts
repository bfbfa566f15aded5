/**
 * The HTTP contract every service shares (shared/API.md, "Errors"), checked against a running service: unknown
 * routes, malformed, oversized and non-JSON bodies all get the error body `{code, message, retryable}` with a 4xx
 * status and no stack trace, and the health and metrics endpoints answer.
 *
 * Use {@link httpContractChecks} to get one named check per case (one `it()` each), or
 * {@link assertHttpErrorContract} to run them all in one go.
 */
import assert from 'node:assert/strict';
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

/** Sends one request with a raw body and explicit content type (no JSON encoding, unlike `call`). */
export async function rawRequest(
  url: string,
  options: { method?: string; body?: string; contentType?: string; token?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method: options.method ?? 'GET', headers, body: options.body });
  return { status: response.status, headers: response.headers, text: await response.text() };
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

/** A check that sends one request and asserts the error answer it gets. */
function errorCheck(
  name: string,
  request: (baseUrl: string) => Promise<RawResponse>,
  expected: ExpectedError = {},
): HttpContractCheck {
  return { name, run: async (baseUrl) => assertErrorResponse(await request(baseUrl), expected, name) };
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
    {
      name: 'GET /health/live → 200',
      run: async (base) => {
        const response = await rawRequest(`${base}/health/live`);
        assert.equal(response.status, 200, response.text);
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
      },
    },
  ];

  const post = options.post;
  if (post) {
    const send = (base: string, body: string, contentType: string) =>
      rawRequest(`${base}${post.path}`, { method: 'POST', body, contentType, token: post.token });
    checks.push(
      errorCheck(`POST ${post.path} malformed JSON → 400 VALIDATION_FAILED`, (base) => send(base, '{bad', 'application/json'), {
        status: 400,
        code: 'VALIDATION_FAILED',
      }),
      errorCheck(`POST ${post.path} empty JSON body → 400 VALIDATION_FAILED`, (base) => send(base, '', 'application/json'), {
        status: 400,
        code: 'VALIDATION_FAILED',
      }),
      errorCheck(`POST ${post.path} 1 MiB body → 413 PAYLOAD_TOO_LARGE`, (base) => send(base, ONE_MIB_JSON, 'application/json'), {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      }),
      errorCheck(
        `POST ${post.path} text/plain body → 415 UNSUPPORTED_MEDIA_TYPE`,
        (base) => send(base, '{"a":1}', 'text/plain'),
        { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      ),
      errorCheck(
        `POST ${post.path} application/xml body → 415 UNSUPPORTED_MEDIA_TYPE`,
        (base) => send(base, '<a>1</a>', 'application/xml'),
        { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      ),
      errorCheck(`POST ${post.path} JSON array body → 4xx error body`, (base) => send(base, '[1,2]', 'application/json')),
      errorCheck(`POST ${post.path} JSON null body → 4xx error body`, (base) => send(base, 'null', 'application/json')),
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
 * @param post a real POST route of the service (with a token if it needs one), so the body checks run too
 */
export function describeHttpContract(
  service: ServiceName,
  register: (config: AppConfig) => DynamicModule,
  options: { post?: (config: AppConfig) => HttpContractOptions['post']; configure?: HttpAppOptions['configure'] } = {},
): void {
  describe(`${service} service HTTP contract`, () => {
    const config = createTestConfig();
    let app: TestApp | undefined;

    before(async () => {
      await createTestDatabases(config);
      app = await startTestApp(service, register(config), config, options.configure);
    });

    after(async () => {
      await app?.close();
      await dropTestResources(config);
    });

    for (const check of httpContractChecks({ post: options.post?.(config) })) {
      it(check.name, () => {
        assert.ok(app, `${service} did not start`);
        return check.run(app.url);
      });
    }
  });
}
