import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedRateLimiter } from './keyed-rate-limiter';

function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('KeyedRateLimiter', () => {
  it('limits each key on its own', () => {
    const clock = manualClock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 2, maxKeys: 10, clock: clock.now });
    assert.deepEqual(limiter.take('a'), { ok: true });
    assert.deepEqual(limiter.take('a'), { ok: true });
    assert.deepEqual(limiter.take('a'), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(limiter.take('b'), { ok: true }, 'another key has its own bucket');
  });

  it('refills over time and reports whole seconds until the next token', () => {
    const clock = manualClock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 0.2, burst: 1, maxKeys: 10, clock: clock.now });
    assert.equal(limiter.take('ip').ok, true);
    assert.deepEqual(limiter.take('ip'), { ok: false, retryAfterSeconds: 5 });
    clock.advance(3200); // 0.64 of a token: 1.8 s to go
    assert.deepEqual(limiter.take('ip'), { ok: false, retryAfterSeconds: 2 });
    clock.advance(1000); // 0.84: 0.8 s to go
    assert.deepEqual(limiter.take('ip'), { ok: false, retryAfterSeconds: 1 });
    clock.advance(800);
    assert.deepEqual(limiter.take('ip'), { ok: true });
  });

  it('rejections do not spend tokens', () => {
    const clock = manualClock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 10, clock: clock.now });
    limiter.take('k');
    for (let i = 0; i < 100; i++) assert.equal(limiter.take('k').ok, false);
    clock.advance(1000);
    assert.equal(limiter.take('k').ok, true);
  });

  it('holds at most maxKeys, forgetting the least recently used', () => {
    const clock = manualClock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 2, clock: clock.now });
    limiter.take('a');
    limiter.take('b');
    limiter.take('a'); // a is now the most recently used (and limited)
    limiter.take('c'); // evicts b
    assert.equal(limiter.size, 2);
    assert.equal(limiter.take('a').ok, false, 'a was kept, still limited');
    assert.equal(limiter.take('c').ok, false, 'c was kept, still limited');
    assert.equal(limiter.take('b').ok, true, 'b was forgotten, so it starts full again');
    assert.equal(limiter.size, 2);
  });

  it('stays bounded under many distinct keys', () => {
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(limiter.size, 100);
    limiter.clear();
    assert.equal(limiter.size, 0);
  });

  it('answers with shared objects, so a known key costs no allocation', () => {
    const clock = manualClock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 2, maxKeys: 10, clock: clock.now });
    assert.equal(limiter.take('a'), limiter.take('a'));
    assert.equal(limiter.take('a'), limiter.take('a'));
    assert.ok(Object.isFrozen(limiter.take('a')));
  });

  it('refuses options out of range', () => {
    assert.throws(() => new KeyedRateLimiter({ ratePerSecond: 0, burst: 1, maxKeys: 1 }), RangeError);
    assert.throws(() => new KeyedRateLimiter({ ratePerSecond: 1, burst: 0, maxKeys: 1 }), RangeError);
    assert.throws(() => new KeyedRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 0 }), RangeError);
    assert.throws(() => new KeyedRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 1.5 }), RangeError);
  });
});
