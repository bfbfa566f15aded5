import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpException, NotFoundException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { mapError } from './error-mapper';

describe('mapError', () => {
  it('keeps a domain error code, its extra fields and a Retry-After for 429/503', () => {
    const dup = mapError(new DomainError('ALREADY_PURCHASED', 'you hold one', { extra: { reservationId: 'r1' } }));
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, { code: 'ALREADY_PURCHASED', message: 'you hold one', retryable: false, reservationId: 'r1' });
    assert.deepEqual(dup.headers, {});
    const limited = mapError(new DomainError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 2.2 }));
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.headers, { 'retry-after': '3' });
    assert.deepEqual(mapError(new DomainError('BUSY', 'busy')).headers, { 'retry-after': '1' });
  });

  it('sends Retry-After with any status when the error says when to retry (NOT_ADMITTED, NOT_STARTED)', () => {
    const waiting = mapError(new DomainError('NOT_ADMITTED', 'wait', { retryAfterSeconds: 4, extra: { position: 17 } }));
    assert.equal(waiting.status, 409);
    assert.deepEqual(waiting.body, { code: 'NOT_ADMITTED', message: 'wait', retryable: true, position: 17 });
    assert.deepEqual(waiting.headers, { 'retry-after': '4' });
  });

  it("gives Nest's and Fastify's own errors the contract's codes", () => {
    assert.equal(mapError(new NotFoundException('Cannot GET /x')).body.code, 'NOT_FOUND');
    assert.equal(mapError(new HttpException('Request body is too large', 413)).body.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(mapError(new HttpException('Unsupported Media Type', 415)).body.code, 'UNSUPPORTED_MEDIA_TYPE');
    const timeout = mapError(new HttpException('Request Timeout', 408));
    assert.deepEqual([timeout.status, timeout.body.code], [400, 'VALIDATION_FAILED']);
  });

  it('answers anything else with a bare 500 that says nothing of its cause', () => {
    const mapped = mapError(new Error('connect ECONNREFUSED 10.0.0.5:3306 at /srv/app/db.js:12'));
    assert.equal(mapped.status, 500);
    assert.deepEqual(mapped.body, { code: 'INTERNAL', message: 'internal error', retryable: true });
    assert.equal(mapped.unexpected, true);
  });

  it('answers a dependency that is unreachable with 503 BUSY and Retry-After, never 500', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const prismaPoolTimeout = Object.assign(new Error('Raw query failed. Code: `45028`.'), {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '45028', code: 45028, kind: 'mysql' } } },
    });
    const cases = [
      refused,
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }),
      Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }),
      prismaPoolTimeout,
      new Error('wrapped', { cause: refused }),
    ];
    for (const error of cases) {
      const mapped = mapError(error);
      assert.equal(mapped.status, 503, error.message);
      assert.equal(mapped.body.code, 'BUSY');
      assert.deepEqual(mapped.headers, { 'retry-after': '1' });
      assert.equal(mapped.body.message.includes('6379'), false);
    }
    assert.equal(mapError(Object.assign(new Error('WRONGTYPE Operation against a key'), { name: 'ReplyError' })).status, 500);
  });

  it('captures no stack for domain errors, which are expected outcomes', () => {
    const error = new DomainError('SOLD_OUT', 'sold out');
    assert.equal(error.name, 'DomainError');
    assert.ok(!error.stack?.includes('error-mapper.spec'));
  });
});
