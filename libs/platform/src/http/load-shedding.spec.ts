import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { FastifyInstance } from 'fastify';
import { lagPastLimit, registerLoadShedding } from './load-shedding';

/** Polls until `check` passes or `withinMs` has gone by. */
async function eventually(check: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > withinMs) assert.fail(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function get(url: string, signal?: AbortSignal): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: JSON.parse(text) as Record<string, unknown> };
}

/** Holds /slow requests in their handler until opened. */
class Gate {
  entered = 0;
  private waiting: Array<() => void> = [];
  wait(): Promise<void> {
    this.entered++;
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  open(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/**
 * fetch (undici) may open a spare connection that never carries a request, notably around aborted requests; Node
 * counts it as awaiting headers, so a plain close() would wait out the headers timeout for it.
 */
const server = (): FastifyInstance => Fastify({ forceCloseConnections: true });

describe('registerLoadShedding: in-flight bound', () => {
  let fastify: FastifyInstance;
  let url: string;
  let gate: Gate;

  before(async () => {
    fastify = server();
    registerLoadShedding(fastify, { maxEventLoopDelayMs: 1000, maxInFlight: 2, retryAfterSeconds: 2 });
    fastify.get('/slow', async () => {
      await gate.wait();
      return { done: true };
    });
    fastify.get('/fast', async () => ({ done: true }));
    fastify.get('/boom', async () => {
      throw new Error('handler failure');
    });
    fastify.get('/health/live', async () => ({ status: 'ok' }));
    fastify.get('/metrics', async () => ({ metrics: true }));
    url = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    gate.open();
    await fastify.close();
  });

  it('answers 503 BUSY with Retry-After past maxInFlight, and admits again once requests finish', async () => {
    gate = new Gate();
    const first = get(`${url}/slow`);
    const second = get(`${url}/slow`);
    await eventually(() => gate.entered === 2, 2000);

    const third = await get(`${url}/slow`);
    assert.equal(third.status, 503);
    assert.equal(third.retryAfter, '2');
    assert.equal(third.body.code, 'BUSY');
    assert.equal(third.body.retryable, true);
    assert.equal(typeof third.body.message, 'string');
    assert.deepEqual(Object.keys(third.body).sort(), ['code', 'message', 'retryable']);
    assert.equal(gate.entered, 2, 'the shed request never reached its handler');

    assert.equal((await get(`${url}/health/live`)).status, 200, 'health stays reachable');
    assert.equal((await get(`${url}/metrics`)).status, 200, 'metrics stay reachable');

    gate.open();
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);

    // Both slots are free again: two more concurrent requests pass, a third is shed.
    gate = new Gate();
    const again = [get(`${url}/slow`), get(`${url}/slow`)];
    await eventually(() => gate.entered === 2, 2000);
    assert.equal((await get(`${url}/fast`)).status, 503);
    gate.open();
    for (const response of await Promise.all(again)) assert.equal(response.status, 200);
    assert.equal((await get(`${url}/fast`)).status, 200);
  });

  it('frees the slot of a request whose handler failed', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await get(`${url}/boom`)).status, 500);
    gate = new Gate();
    const held = [get(`${url}/slow`), get(`${url}/slow`)];
    await eventually(() => gate.entered === 2, 2000);
    gate.open();
    for (const response of await Promise.all(held)) assert.equal(response.status, 200);
  });

  it('frees the slot of a request whose client went away', async () => {
    gate = new Gate();
    const controller = new AbortController();
    const abandoned = [get(`${url}/slow`, controller.signal), get(`${url}/slow`, controller.signal)];
    await eventually(() => gate.entered === 2, 2000);
    assert.equal((await get(`${url}/fast`)).status, 503);
    controller.abort();
    for (const result of await Promise.allSettled(abandoned)) assert.equal(result.status, 'rejected');
    // The handlers are still held at the gate, but their clients are gone: the slots are free.
    await eventually(async () => (await get(`${url}/fast`)).status === 200, 2000);
    gate.open();
  });
});

describe('registerLoadShedding: event-loop lag', () => {
  let fastify: FastifyInstance;
  let url: string;

  before(async () => {
    fastify = server();
    registerLoadShedding(fastify, { maxEventLoopDelayMs: 15, maxInFlight: 100, sampleIntervalMs: 200, bootGraceMs: 0 });
    fastify.get('/fast', async () => ({ done: true }));
    fastify.get('/health/ready', async () => ({ status: 'ok' }));
    url = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });

  after(() => fastify.close());

  it('answers 503 BUSY with Retry-After while the event loop lags, health checks excepted, then recovers', async () => {
    assert.equal((await get(`${url}/fast`)).status, 200);

    // Block the loop as a CPU-bound burst would, then wait for the next sample to see it.
    const until = Date.now() + 800;
    while (Date.now() < until) {
      // busy on purpose
    }
    await eventually(() => fastify.isUnderPressure(), 1000);
    const [shed, health] = await Promise.all([get(`${url}/fast`), get(`${url}/health/ready`)]);
    assert.equal(shed.status, 503);
    assert.equal(shed.retryAfter, '1');
    assert.equal(shed.body.code, 'BUSY');
    assert.equal(shed.body.retryable, true);
    assert.equal(health.status, 200, 'health is exempt');

    await eventually(async () => (await get(`${url}/fast`)).status === 200, 2000);
  });

  it('does not expose a status route of its own', async () => {
    const response = await fetch(`${url}/status`);
    assert.equal(response.status, 404);
  });
});

describe('lagPastLimit', () => {
  it('compares a measured delay with the limit', () => {
    assert.equal(lagPastLimit(501, 500, 1000), true);
    assert.equal(lagPastLimit(500, 500, 1000), false);
  });

  it('reads an infinite delay (no sample in a whole interval) as at least the interval, no more', () => {
    assert.equal(lagPastLimit(Number.POSITIVE_INFINITY, 500, 1000), true);
    assert.equal(lagPastLimit(Number.POSITIVE_INFINITY, 60_000, 1000), false);
  });
});

describe('registerLoadShedding: boot', () => {
  it('lets the first requests through while the samples still measure the boot, not the load', async () => {
    const fastify = server();
    registerLoadShedding(fastify, { maxEventLoopDelayMs: 15, maxInFlight: 100, sampleIntervalMs: 100, bootGraceMs: 10_000 });
    fastify.get('/fast', async () => ({ done: true }));
    try {
      const url = await fastify.listen({ port: 0, host: '127.0.0.1' });
      // The rest of a slow boot: work done as the server becomes ready (a service's bootstrap hooks) blocks the loop.
      const until = Date.now() + 500;
      while (Date.now() < until) {
        // busy on purpose
      }
      await eventually(() => fastify.isUnderPressure(), 2000);
      assert.equal((await get(`${url}/fast`)).status, 200, 'not shed during the boot grace');
    } finally {
      await fastify.close();
    }
  });
});

describe('registerLoadShedding: options', () => {
  it('refuses options out of range', () => {
    const fastify = server();
    assert.throws(() => registerLoadShedding(fastify, { maxEventLoopDelayMs: 0, maxInFlight: 1 }), RangeError);
    assert.throws(() => registerLoadShedding(fastify, { maxEventLoopDelayMs: 100, maxInFlight: 0 }), RangeError);
    assert.throws(() => registerLoadShedding(fastify, { maxEventLoopDelayMs: 100, maxInFlight: 1, retryAfterSeconds: 0 }), RangeError);
  });
});
