import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Principal } from '../auth/access-token.service';
import { registerRequestLogging, requestIdOf } from './request-logging';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A Fastify app as createHttpApp configures it, whose log lines land in `lines`. */
async function app(accessLog: boolean): Promise<{ fastify: FastifyInstance; lines: Array<Record<string, unknown>> }> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const fastify = Fastify({ genReqId: requestIdOf });
  const verifyToken = (token: string): Principal => {
    if (token !== 'good') throw new Error('invalid');
    return { userId: '42', role: 'user' };
  };
  registerRequestLogging(fastify, logger, { accessLog, verifyToken });
  fastify.get('/api/things/:id', async () => ({ ok: true }));
  fastify.get('/api/broken', async () => {
    throw new Error('boom');
  });
  fastify.get('/api/shed', async (_request, reply) => reply.code(503).send({ code: 'BUSY' }));
  fastify.get('/health/ready', async () => ({ status: 'up' }));
  await fastify.ready();
  return { fastify, lines };
}

describe('request ids and request logging', () => {
  it('keeps a well-formed X-Request-Id and returns it', async () => {
    const { fastify } = await app(false);
    const response = await fastify.inject({ url: '/api/things/1', headers: { 'x-request-id': 'gw-1f3a.9:b_c' } });
    assert.equal(response.headers['x-request-id'], 'gw-1f3a.9:b_c');
  });

  it('replaces a missing or malformed X-Request-Id with a new UUID', async () => {
    const { fastify } = await app(false);
    const ids = new Set<string>();
    for (const header of [undefined, '', 'has space', 'x'.repeat(129), 'new\\nline', 'ünïcode']) {
      const response = await fastify.inject({ url: '/api/things/1', headers: header === undefined ? {} : { 'x-request-id': header } });
      const id = String(response.headers['x-request-id']);
      assert.match(id, UUID, JSON.stringify(header));
      ids.add(id);
    }
    assert.equal(ids.size, 6, 'a new id each time');
  });

  it('writes one access line per request with method, route, status, time, request id and verified user', async () => {
    const { fastify, lines } = await app(true);
    await fastify.inject({ url: '/api/things/7?x=1', headers: { 'x-request-id': 'abc', authorization: 'Bearer good' } });
    await fastify.inject({ url: '/api/things/8', headers: { authorization: 'Bearer forged' } });
    await fastify.inject({ url: '/nowhere' });
    await fastify.inject({ url: '/health/ready' });
    assert.equal(lines.length, 3, 'no line for the readiness probe');
    const [first, second, third] = lines;
    assert.equal(first.level, 30);
    assert.equal(first.reqId, 'abc');
    assert.equal(first.method, 'GET');
    assert.equal(first.route, '/api/things/:id');
    assert.equal(first.url, '/api/things/7?x=1');
    assert.equal(first.status, 200);
    assert.equal(first.userId, '42');
    assert.equal(typeof first.ms, 'number');
    assert.match(String(first.msg), /^GET \/api\/things\/7\?x=1 200 [0-9.]+ ms$/);
    assert.equal(second.userId, undefined, 'a token that does not verify names nobody');
    assert.equal(third.route, 'unmatched');
    assert.equal(third.status, 404);
  });

  it('logs errors with their request even when the access log is off, and nothing else', async () => {
    const { fastify, lines } = await app(false);
    await fastify.inject({ url: '/api/things/1' });
    await fastify.inject({ url: '/api/shed' });
    const failed = await fastify.inject({ url: '/api/broken', headers: { authorization: 'Bearer good' } });
    assert.equal(failed.statusCode, 500);
    assert.equal(lines.length, 1, 'only the 500: a 200 and a deliberate 503 write nothing');
    assert.equal(lines[0].level, 50);
    assert.equal(lines[0].route, '/api/broken');
    assert.equal(lines[0].status, 500);
    assert.equal(lines[0].userId, '42');
    assert.equal(lines[0].reqId, failed.headers['x-request-id']);
  });
});
