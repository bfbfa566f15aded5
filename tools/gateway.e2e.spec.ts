import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppConfig } from '@seckill/platform';
import { configToEnv, createTestConfig, createTestDatabases, dropTestResources, freePort, sleep } from '@seckill/testing';
import { gatewayTemplate, LocalGateway, NGINX, startLocalGateway, stopLocalGateway } from './local-gateway';

// The compose gateway, black box: Debian's nginx runs docker/gateway.conf.template (rendered as nginx's image
// renders it, with the variables compose sets) as an unprivileged process on free ports, in front of the real auth
// service and of stand-ins for the others that echo what reached them. What a client sees through it: every prefix
// routed to its service, X-Forwarded-For replaced by the peer address, the per-address limits answering 429 with the
// API's error body, /metrics and the provider refused, a service that is down answered 503, /docs per its setting.

const repo = resolve(__dirname, '..', '..');
const template = gatewayTemplate();
const compose = readFileSync(join(repo, 'docker/docker-compose.yml'), 'utf8');
// In CI, .ci/run installs nginx: the test must run there, never skip.
const skip = !existsSync(NGINX) && process.env.CI !== 'true' ? `${NGINX} is not installed` : false;

/** What an echo upstream saw of one request. */
interface Seen {
  service: string;
  method: string;
  url: string;
  forwardedFor?: string;
  requestId?: string;
}

interface Echo {
  server: Server;
  port: number;
  /** Requests with ?hold wait here until released. */
  held: ServerResponse[];
}

async function startEcho(service: string): Promise<Echo> {
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const seen: Seen = {
        service,
        method: req.method ?? '',
        url: req.url ?? '',
        forwardedFor: req.headers['x-forwarded-for'] as string | undefined,
        requestId: req.headers['x-request-id'] as string | undefined,
      };
      res.setHeader('content-type', 'application/json; charset=utf-8');
      if (req.url?.includes('hold')) {
        held.push(res);
        res.flushHeaders();
        return;
      }
      res.end(JSON.stringify(seen));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port, held };
}

/** Starts the gateway on a free loopback port (see startLocalGateway). */
async function startGateway(vars: Record<string, string>): Promise<LocalGateway> {
  return startLocalGateway(vars, `127.0.0.1:${await freePort()}`);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One request from a chosen loopback address (each address is a different client to the per-address limits). */
function send(
  url: string,
  options: { method?: string; from?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((done, fail) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'GET', localAddress: options.from ?? '127.0.0.1', headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          done({ status: response.statusCode ?? 0, headers: response.headers, body, json: () => JSON.parse(body) });
        });
      },
    );
    request.on('error', fail);
    request.end(options.body);
  });
}

const ECHOED = ['seckill', 'order', 'payment', 'admin'] as const;
let config: AppConfig;
let auth: ChildProcess | undefined;
let authPort: number;
const echoes = new Map<string, Echo>();
let gateway: LocalGateway | undefined;
let docsGateway: LocalGateway | undefined;

function upstreams(paymentDown: boolean): Record<string, string> {
  const address = (port: number) => `127.0.0.1:${port}`;
  return {
    AUTH_UPSTREAM: address(authPort),
    SECKILL_UPSTREAM: address(echoes.get('seckill')!.port),
    ORDER_UPSTREAM: address(echoes.get('order')!.port),
    // payment-down's port: nothing listens there any more.
    PAYMENT_UPSTREAM: address(echoes.get(paymentDown ? 'payment-down' : 'payment')!.port),
    ADMIN_UPSTREAM: address(echoes.get('admin')!.port),
  };
}

describe('the compose gateway (nginx with docker/gateway.conf.template)', { skip }, () => {
  before(async () => {
    config = createTestConfig({ AUTH_PORT: String(await freePort()), TRUSTED_PROXIES: '127.0.0.1' });
    authPort = config.AUTH_PORT;
    await createTestDatabases(config);
    auth = spawn(process.execPath, [join(__dirname, '../apps/auth/src/main.js')], {
      env: { ...process.env, ...configToEnv(config) },
      stdio: 'ignore',
    });
    for (const service of ECHOED) echoes.set(service, await startEcho(service));
    const down = await startEcho('payment-down');
    await new Promise((done) => down.server.close(done));
    echoes.set('payment-down', down);
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`http://127.0.0.1:${authPort}/health/ready`).catch(() => undefined))?.ok) {
      if (Date.now() > deadline || auth.exitCode !== null) assert.fail('the auth service did not become ready');
      await sleep(200);
    }
    const limits = { GATEWAY_LIMIT_RATE: '1r/m', GATEWAY_LIMIT_BURST: '2', GATEWAY_LIMIT_CONN: '1' };
    gateway = await startGateway({ ...upstreams(false), ...limits, GATEWAY_DOCS: 'off' });
    // The second gateway serves the documents, and its payment service is down.
    docsGateway = await startGateway({ ...upstreams(true), ...limits, GATEWAY_DOCS: 'on' });
  });

  after(async () => {
    await stopLocalGateway(gateway);
    await stopLocalGateway(docsGateway);
    for (const echo of echoes.values()) {
      for (const response of echo.held) response.end();
      echo.server.closeAllConnections();
      await new Promise((done) => echo.server.close(done));
    }
    if (auth && auth.exitCode === null) {
      const exited = new Promise((done) => auth!.once('exit', done));
      auth.kill('SIGTERM');
      await exited;
    }
    if (config) await dropTestResources(config);
  });

  it('sets every variable of the template in the compose file', () => {
    const gatewayBlock = compose.slice(compose.indexOf('\n  gateway:'));
    const names = new Set([...template.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((match) => match[1]));
    for (const name of names) assert.match(gatewayBlock, new RegExp(`\\n\\s+${name}:`), `compose sets ${name}`);
  });

  it('routes every prefix to its service, path and query unchanged', async () => {
    const routes: Array<[string, string, string]> = [
      ['GET', '/api/activities', 'seckill'],
      ['GET', '/api/activities/7?fields=stock', 'seckill'],
      ['GET', '/api/activities/7/stock', 'seckill'],
      ['GET', '/api/activities/7/result', 'seckill'],
      ['GET', '/api/client-config', 'seckill'],
      ['GET', '/shop', 'seckill'],
      ['GET', '/shop/assets/app.1a2b3c.js', 'seckill'],
      ['GET', '/api/orders?limit=5', 'order'],
      ['POST', '/api/orders/123/cancel', 'order'],
      ['POST', '/api/payments', 'payment'],
      ['GET', '/api/payments/9', 'payment'],
      ['POST', '/api/payments/callback', 'payment'],
      ['GET', '/api/admin/activities', 'admin'],
      ['GET', '/admin', 'admin'],
      ['GET', '/admin/queues', 'admin'],
    ];
    for (const [method, path, service] of routes) {
      const answer = await send(`${gateway!.url}${path}`, { method });
      assert.equal(answer.status, 200, `${method} ${path}`);
      assert.deepEqual(
        { service: answer.json().service, method: answer.json().method, url: answer.json().url },
        { service, method, url: path },
        `${method} ${path}`,
      );
    }
  });

  it('reaches the real auth service: register and log in through the gateway', async () => {
    const credentials = JSON.stringify({ username: 'through-gateway', password: 'correct-horse' });
    const headers = { 'content-type': 'application/json' };
    const registered = await send(`${gateway!.url}/api/auth/register`, { method: 'POST', headers, body: credentials });
    assert.equal(registered.status, 201, registered.body);
    const login = await send(`${gateway!.url}/api/auth/login`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': 'gateway-test-1' },
      body: credentials,
    });
    assert.equal(login.status, 200, login.body);
    assert.equal(login.json().tokenType, 'Bearer');
    assert.equal(login.headers['x-request-id'], 'gateway-test-1', 'the service answers with the id the gateway passed on');
    const generated = await send(`${gateway!.url}/api/auth/me`);
    assert.equal(generated.status, 401);
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f]{32}$/, "nginx's id, returned by the service");
  });

  it('overwrites X-Forwarded-For with the peer address and passes a well-formed X-Request-Id on', async () => {
    const spoofed = await send(`${gateway!.url}/api/orders`, {
      from: '127.0.0.4',
      headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-request-id': 'trace-42' },
    });
    assert.equal(spoofed.json<Seen>().forwardedFor, '127.0.0.4');
    assert.equal(spoofed.json<Seen>().requestId, 'trace-42');
    const malformed = await send(`${gateway!.url}/api/orders`, { headers: { 'x-request-id': 'no spaces <allowed>' } });
    assert.match(malformed.json<Seen>().requestId ?? '', /^[0-9a-f]{32}$/, 'replaced by the id nginx made');
  });

  it('limits purchase, token and queue per client address with 429 and the API error body', async () => {
    const client = '127.0.0.2';
    const hot = ['/api/activities/7/purchase', '/api/activities/7/token', '/api/activities/7/queue'];
    // 1 request per minute with a burst of 2: three go through, then every hot route answers 429.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(`${gateway!.url}${hot[i]}`, { method: 'POST', from: client })).status);
    assert.deepEqual(statuses, [200, 200, 200]);
    for (const path of hot) {
      const limited = await send(`${gateway!.url}${path}`, { method: 'POST', from: client });
      assert.equal(limited.status, 429, path);
      assert.deepEqual(limited.json(), {
        code: 'RATE_LIMITED',
        message: 'too many requests from this address',
        retryable: true,
      });
      assert.equal(limited.headers['retry-after'], '1');
      assert.match(String(limited.headers['content-type']), /^application\/json; charset=utf-8/);
    }
    // Other routes of the same client, and the same routes of another client, are not limited.
    assert.equal((await send(`${gateway!.url}/api/activities/7`, { from: client })).status, 200);
    assert.equal((await send(`${gateway!.url}${hot[0]}`, { method: 'POST', from: '127.0.0.5' })).status, 200);
    // A spoofed X-Forwarded-For is no way around the limit.
    const spoofed = await send(`${gateway!.url}${hot[0]}`, {
      method: 'POST',
      from: client,
      headers: { 'x-forwarded-for': '198.51.100.9' },
    });
    assert.equal(spoofed.status, 429);
  });

  it('limits open connections per client address on the hot routes', async () => {
    const client = '127.0.0.3';
    const held = send(`${gateway!.url}/api/activities/7/queue?hold`, { from: client });
    const seckill = echoes.get('seckill')!;
    const deadline = Date.now() + 5_000;
    while (seckill.held.length === 0) {
      if (Date.now() > deadline) assert.fail('the held request never reached the upstream');
      await sleep(20);
    }
    const second = await send(`${gateway!.url}/api/activities/7/queue`, { from: client });
    assert.equal(second.status, 429);
    assert.equal(second.json().code, 'RATE_LIMITED');
    for (const response of seckill.held.splice(0)) response.end('{}');
    assert.equal((await held).status, 200);
  });

  it('refuses /metrics, the provider stand-in and unknown paths with 404 and the API error body', async () => {
    for (const path of ['/metrics', '/provider/charges', '/provider/faults', '/api/activitiesX', '/shopping', '/health/ready', '/nowhere']) {
      const answer = await send(`${gateway!.url}${path}`);
      assert.equal(answer.status, 404, path);
      assert.deepEqual(answer.json(), { code: 'NOT_FOUND', message: 'no such resource', retryable: false }, path);
    }
  });

  it('lets no dot segment or encoded slash reach /metrics, /docs or the provider through a routed prefix', async () => {
    const internal = /^\/(metrics|docs|provider)(\/|$|-json)/;
    const paths = [
      '/api/auth/../../metrics',
      '/api/auth/%2e%2e/%2e%2e/metrics',
      '/api/auth/..%2f..%2fmetrics',
      '/api/auth/%2e%2e%2f%2e%2e%2fdocs',
      '/shop/../docs',
      '/shop/%2e%2e/provider/faults',
      '/shop/..%2fprovider%2ffaults',
      '/api/orders/..%2f..%2fmetrics',
      '/admin/../metrics',
      '/admin/%2e%2e/docs/json',
    ];
    for (const path of paths) {
      const answer = await send(`${gateway!.url}${path}`);
      assert.doesNotMatch(answer.body, /process_cpu_user_seconds_total|swagger|openapi/i, path);
      if (answer.status === 200 && String(answer.headers['content-type'] ?? '').startsWith('application/json')) {
        const seen = answer.json() as Partial<Seen>;
        if (seen.url !== undefined) {
          // What a service would make of the path it got: percent-decoded, dot segments resolved.
          const resolved = new URL(decodeURIComponent(seen.url), 'http://upstream').pathname;
          assert.doesNotMatch(resolved, internal, `${path} reached ${seen.service} as ${seen.url}`);
        }
      } else {
        assert.ok(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status} ${answer.body.slice(0, 200)}`);
      }
    }
  });

  it('answers 503 BUSY with Retry-After while a service is down, and 413 for a body over 16 KiB', async () => {
    const down = await send(`${docsGateway!.url}/api/payments`, { method: 'POST' });
    assert.equal(down.status, 503);
    assert.equal(down.json().code, 'BUSY');
    assert.equal(down.headers['retry-after'], '1');
    const large = await send(`${gateway!.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(17 * 1024) }),
    });
    assert.equal(large.status, 413);
    assert.equal(large.json().code, 'PAYLOAD_TOO_LARGE');
  });

  it('serves the OpenAPI documents at /docs/<service>/ only when GATEWAY_DOCS=on', async () => {
    const off = await send(`${gateway!.url}/docs/auth/json`);
    assert.equal(off.status, 404);
    assert.equal(off.json().code, 'NOT_FOUND');
    assert.equal((await send(`${gateway!.url}/docs`)).status, 404);

    const document = await send(`${docsGateway!.url}/docs/auth/json`);
    assert.equal(document.status, 200, document.body);
    assert.ok('/api/auth/login' in document.json<{ paths: Record<string, unknown> }>().paths);
    const page = await send(`${docsGateway!.url}/docs/auth/`);
    assert.equal(page.status, 200);
    // The UI's assets are relative to the page and reach the same service.
    const asset = /src="\.\/(docs\/swagger-ui-init\.js)"/.exec(page.body)?.[1];
    assert.ok(asset, 'the page loads swagger-ui-init.js');
    assert.equal((await send(`${docsGateway!.url}/docs/auth/${asset}`)).status, 200);
    assert.deepEqual(Object.keys((await send(`${docsGateway!.url}/docs`)).json()), ['auth', 'seckill', 'order', 'payment', 'admin']);
  });
});
