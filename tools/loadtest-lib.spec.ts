import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { pidsListeningOn } from '../loadtest/lib/machine';
import { backoffMs } from '../loadtest/lib/shopper';
import { assertSeckillReady } from '../loadtest/lib/stack';
import { chartSvg } from '../loadtest/lib/svg-chart';

// The load test's own helpers (npm run loadtest; the whole command is tools/loadtest.e2e.spec.ts).

describe('loadtest helpers', () => {
  it('backs off exponentially, capped, and never sooner than Retry-After', () => {
    for (let attempts = 1; attempts <= 12; attempts++) {
      const wait = backoffMs(attempts, undefined);
      const base = Math.min(100 * 2 ** (attempts - 1), 5000);
      assert.ok(wait >= base && wait <= base + 250, `attempt ${attempts}: ${wait} ms`);
      assert.ok(backoffMs(attempts, 3000) >= 3000, 'Retry-After is honoured');
    }
  });

  it("takes seckill for ready through the compose gateway, which routes no health check but /health/live", async () => {
    let listStatus = 200;
    // The gateway's behaviour (docker/gateway.conf.template): /health/ready is an unknown path, 404; the API is routed.
    const gateway = createHttpServer((request, response) => {
      response.statusCode = request.url === '/api/activities' ? listStatus : 404;
      response.end('[]');
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
      await assertSeckillReady(base);
      listStatus = 503;
      await assert.rejects(assertSeckillReady(base), /api\/activities 503/);
    } finally {
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  it('finds the process listening on a port through /proc', async (t) => {
    if (process.platform !== 'linux') return t.skip('Linux only');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      assert.deepEqual(pidsListeningOn({ me: port }), { me: process.pid });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('draws throughput and latency as an SVG with a polyline per series', () => {
    const svg = chartSvg('a <title>', [
      { at: 0, perSecond: 100, p50: 1, p99: 5 },
      { at: 1, perSecond: 300, p50: 2, p99: NaN },
      { at: 2, perSecond: 200, p50: 3, p99: 9 },
    ], [{ at: 1.5, label: 'last 202' }]);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(svg.match(/<polyline /g)?.length, 3);
    assert.match(svg, /a &lt;title&gt;/);
    assert.doesNotMatch(svg, /NaN/);
    assert.match(svg, /last 202/);
  });
});
