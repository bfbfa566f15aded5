import assert from 'node:assert/strict';
import { createServer, request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { MetricsService } from '../metrics/metrics.service';
import { createGateResponder } from './request-gate';

/** A node:http server whose every request a gate responder answers 410, its log lines in `lines`. */
async function gatedServer(trustedProxies: string[]): Promise<{ server: Server; port: number; lines: Array<Record<string, unknown>>; metrics: MetricsService }> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  const metrics = new MetricsService();
  const responder = createGateResponder(metrics, pino({ level: 'info' }, sink), { accessLog: true, trustedProxies });
  const server = createServer((request, response) => {
    responder.answer(request, response, { status: 410, body: '{"code":"SOLD_OUT"}', route: '/api/things/:id', userId: '42' }, performance.now());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, lines, metrics };
}

function get(port: number, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/api/things/7', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the gate responder', () => {
  it("answers with the service's headers, counts the answer and logs the client address as Fastify's request.ip would", async () => {
    const { server, port, lines, metrics } = await gatedServer(['127.0.0.1']);
    try {
      const answer = await get(port, { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'gw-1' });
      assert.equal(answer.status, 410);
      assert.equal(answer.body, '{"code":"SOLD_OUT"}');
      assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['x-request-id'], 'gw-1');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(lines.length, 1);
      assert.deepEqual(
        { ip: lines[0].ip, reqId: lines[0].reqId, status: lines[0].status, userId: lines[0].userId, gate: lines[0].gate },
        { ip: '203.0.113.9', reqId: 'gw-1', status: 410, userId: '42', gate: true },
        'behind a trusted proxy, the forwarded client',
      );
      const scraped = await metrics.registry.metrics();
      assert.match(scraped, /http_request_duration_seconds_count\{method="GET",route="\/api\/things\/:id",status="410"\} 1/);
    } finally {
      server.close();
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    for (const trusted of [[], ['10.0.0.1']]) {
      const { server, port, lines } = await gatedServer(trusted);
      try {
        await get(port, { 'x-forwarded-for': '203.0.113.9' });
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(lines[0]?.ip, '127.0.0.1', `trusted ${JSON.stringify(trusted)}: the peer`);
      } finally {
        server.close();
      }
    }
  });
});
