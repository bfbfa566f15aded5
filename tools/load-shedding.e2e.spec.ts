import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SERVICES, ServiceName } from '@seckill/contracts';
import { call, createTestConfig, createTestDatabases, dropTestResources, startTestApp, TestApp, waitFor } from '@seckill/testing';
import { MODULES } from './openapi-document';

// Every service sheds load at the door, not only the hot path: while its event loop lags past
// SHED_MAX_EVENT_LOOP_DELAY_MS it answers 503 BUSY with Retry-After before routing, and its health and metrics still
// answer. The six services run in this process, so blocking this process's event loop lags all six at once.

const names = Object.keys(SERVICES) as ServiceName[];

/** Keeps the CPU busy without yielding: the event loop lags by this long. */
function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy on purpose
  }
}

describe('load shedding on every service', () => {
  const config = createTestConfig({ SHED_MAX_EVENT_LOOP_DELAY_MS: '100' });
  const apps = new Map<ServiceName, TestApp>();

  before(async () => {
    await createTestDatabases(config);
    for (const name of names) apps.set(name, await startTestApp(name, MODULES[name](config), config));
  });

  after(async () => {
    for (const app of apps.values()) await app.close();
    await dropTestResources(config);
  });

  it('answers 503 BUSY with Retry-After while the event loop lags, keeps health and metrics, and recovers', async () => {
    // Not shedding before: an unknown path is routed to a 404.
    for (const [name, app] of apps) assert.equal((await call(`${app.url}/api/no-such-route`)).status, 404, name);

    // The loop blocked 250 ms at a time with a moment's rest between: every sample (each second) reports a mean
    // lag far past the 100 ms limit, while requests still get through between the blocks.
    let lagging = true;
    const lag = (): void => {
      if (!lagging) return;
      blockEventLoop(250);
      setTimeout(lag, 1);
    };
    lag();
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      // All at once, while the lag sampled after the block stands (until the next sample, a second later).
      const answers = await Promise.all(
        [...apps].map(async ([name, app]) => ({ name, shed: await call(`${app.url}/api/no-such-route`), live: await call(`${app.url}/health/live`) })),
      );
      for (const { name, shed, live } of answers) {
        assert.equal(shed.status, 503, `${name}: ${JSON.stringify(shed.body)}`);
        assert.equal(shed.body.code, 'BUSY', name);
        assert.equal(shed.body.retryable, true, name);
        assert.ok(Number(shed.headers.get('retry-after')) >= 1, `${name}: Retry-After`);
        assert.equal(live.status, 200, `${name}: liveness while shedding`);
      }
    } finally {
      lagging = false;
    }

    // The loop is idle again: the next samples let requests through.
    for (const [name, app] of apps) {
      await waitFor(async () => (await call(`${app.url}/api/no-such-route`)).status === 404, 10_000, `${name} to stop shedding`);
    }
  });
});
