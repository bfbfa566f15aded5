import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import Fastify from 'fastify';
import type { Server } from 'node:net';
import { runForkedServer } from './lib/forked-server';

/**
 * The baselines of the seckill benchmark, each in its own process: `node dist/loadtest/bare-server.js <node|fastify>`.
 * Both answer the requests the seckill service gets, with no other work (no Nest, no auth, no validation, no Redis):
 * - POST /api/activities/:id/purchase with a JSON body: the body is read and parsed, the answer is 202 and a small
 *   JSON serialised per request, as the purchase endpoint's;
 * - GET /api/activities/:id: 200 and the JSON in BARE_GET_BODY (the bench passes the catalog's own answer, so the
 *   bytes on the wire are the same).
 * `node` is a raw node:http server (the floor of any Node framework), `fastify` a bare fastify@5 server with logging
 * off. Each listens on a free port of 127.0.0.1 and tells the parent which one over the IPC channel.
 */
const PURCHASED = { reservationId: 'bare', status: 'QUEUED' };
const GET_BODY = process.env.BARE_GET_BODY ?? JSON.stringify({ id: 1, title: 'bare' });
const PURCHASE = /^\/api\/activities\/[^/]+\/purchase$/;
const ACTIVITY = /^\/api\/activities\/[^/]+$/;
const JSON_TYPE = 'application/json; charset=utf-8';

function nodeHandler(request: IncomingMessage, response: ServerResponse): void {
  const answer = (status: number, body: string) => {
    response.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };
  if (request.method === 'GET' && ACTIVITY.test(request.url ?? '')) return answer(200, GET_BODY);
  if (request.method === 'GET' && request.url === '/health/ready') return answer(200, '{"status":"up"}');
  if (request.method !== 'POST' || !PURCHASE.test(request.url ?? '')) return answer(404, '{"code":"NOT_FOUND"}');
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(400, '{"code":"VALIDATION_FAILED"}');
    }
    answer(202, JSON.stringify(PURCHASED));
  });
}

async function listen(kind: string): Promise<{ server: Server; close: () => Promise<void> }> {
  if (kind === 'node') {
    const server = createServer(nodeHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  if (kind !== 'fastify') throw new Error(`unknown kind "${kind}" (node or fastify)`);
  const app = Fastify({ logger: false });
  app.post('/api/activities/:id/purchase', async (_request, reply) => {
    reply.code(202);
    return PURCHASED;
  });
  app.get('/api/activities/:id', async (_request, reply) => {
    reply.type(JSON_TYPE);
    return GET_BODY;
  });
  app.get('/health/ready', async () => ({ status: 'up' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { server: app.server, close: () => app.close() };
}

runForkedServer('bare-server', () => listen(process.argv[2] ?? 'fastify'));
