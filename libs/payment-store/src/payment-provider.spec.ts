import assert from 'node:assert/strict';
import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { BreakerMode, CircuitBreakerOptions } from '@seckill/flow-control';
import { ChargeDeclinedError, PaymentProvider, ProviderRejectedError, ProviderUnavailableError } from './payment-provider';

// The adapter against a scripted HTTP provider on a real socket: which answers count against the breaker, the
// timeout that aborts the request, the outbound bucket, the operator's mode.

type Script = (response: ServerResponse) => void;
let server: Server;
let baseUrl: string;
let script: Script;
let received = 0;
let aborted = 0;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Script => (response) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};
const charge = { merchantRef: '1', amountCents: 500, idempotencyKey: 'pay-1' };
const succeeded = { chargeId: 'ch_1', merchantRef: '1', amountCents: 500, status: 'SUCCEEDED' };

function provider(overrides: Partial<CircuitBreakerOptions> = {}, rate = { ratePerSecond: 1000, burst: 1000 }, mode?: () => BreakerMode) {
  return new PaymentProvider({
    baseUrl,
    ...rate,
    mode,
    breaker: {
      name: 'test-provider',
      window: { type: 'count', size: 10 },
      minimumCalls: 3,
      failureRateThreshold: 50,
      slowCallRateThreshold: 100,
      slowCallDurationMs: 10_000,
      openWaitMs: 60_000,
      halfOpenProbes: 1,
      callTimeoutMs: 300,
      ...overrides,
    },
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

before(async () => {
  // The adapter logs each transition; this test asserts on behaviour, not on log lines.
  Logger.overrideLogger(false);
  server = createServer((request, response) => {
    received++;
    // A response closed before it was written: the client went away (our timeout aborted the request).
    response.on('close', () => {
      if (!response.writableEnded) aborted++;
    });
    request.resume();
    request.on('end', () => script(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = 0;
  aborted = 0;
});

describe('PaymentProvider (the payment adapter)', () => {
  it('returns a succeeded charge and throws ChargeDeclinedError for a declined one, which the breaker does not count', async () => {
    const adapter = provider();
    script = json(200, succeeded);
    assert.deepEqual(await adapter.charge(charge), succeeded);
    script = json(200, { ...succeeded, status: 'DECLINED' });
    for (let i = 0; i < 5; i++) assert.ok((await rejection(adapter.charge(charge))) instanceof ChargeDeclinedError);
    assert.equal(adapter.breaker.state(), 'CLOSED');
    assert.equal(adapter.breaker.totals().ignored, 5);
  });

  it('counts 5xx answers, and opens: then no request leaves', async () => {
    const adapter = provider();
    script = json(500, { code: 'INTERNAL' });
    for (let i = 0; i < 3; i++) {
      const error = await rejection(adapter.charge(charge));
      assert.ok(error instanceof ProviderUnavailableError && error.reason === 'failing', String(error));
    }
    assert.equal(adapter.breaker.state(), 'OPEN');
    const before = received;
    const error = await rejection(adapter.charge(charge));
    assert.ok(error instanceof ProviderUnavailableError && error.reason === 'breaker-open');
    assert.equal(error.retryAfterSeconds, 60);
    assert.equal(received, before, 'the open breaker kept the call away');
  });

  it('does not count a 429 or a 4xx refusal against the provider', async () => {
    const adapter = provider();
    script = json(429, { code: 'RATE_LIMITED' }, { 'retry-after': '3' });
    for (let i = 0; i < 4; i++) {
      const error = await rejection(adapter.charge(charge));
      assert.ok(error instanceof ProviderUnavailableError && error.reason === 'throttled' && error.retryAfterSeconds === 3, String(error));
    }
    script = json(400, { code: 'VALIDATION_FAILED' });
    assert.ok((await rejection(adapter.charge(charge))) instanceof ProviderRejectedError);
    assert.equal(adapter.breaker.state(), 'CLOSED');
  });

  it('times a slow call out, aborting its request, and counts it as a failure', async () => {
    const adapter = provider({ minimumCalls: 1 });
    script = (response) => setTimeout(() => json(200, succeeded)(response), 2000).unref();
    const started = Date.now();
    const error = await rejection(adapter.charge(charge));
    assert.ok(error instanceof ProviderUnavailableError && error.reason === 'timeout', String(error));
    assert.ok(Date.now() - started < 1500, 'the caller did not wait for the answer');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(aborted, 1, 'the request was aborted');
    assert.equal(adapter.breaker.totals().timeouts, 1);
    assert.equal(adapter.breaker.state(), 'OPEN');
  });

  it('sends no more than the outbound bucket allows, and does not hold that against the provider', async () => {
    // One token per 100 s: none comes back while the ten calls are made, however slow the machine.
    const adapter = provider({}, { ratePerSecond: 0.01, burst: 3 });
    script = json(200, succeeded);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => adapter.charge(charge)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.equal(received, 3);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof ProviderUnavailableError && refused.reason.reason === 'rate-limited');
    assert.equal(adapter.breaker.state(), 'CLOSED');
  });

  it("obeys the operator's mode before each call", async () => {
    let mode: BreakerMode = 'FORCED_OPEN';
    const adapter = provider({}, undefined, () => mode);
    script = json(200, succeeded);
    assert.ok((await rejection(adapter.charge(charge))) instanceof ProviderUnavailableError);
    assert.equal(received, 0);
    mode = 'AUTO';
    assert.deepEqual(await adapter.charge(charge), succeeded);
  });
});
