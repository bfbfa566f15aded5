import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('TokenBucket', () => {
  it('starts full: lets a burst through, then refuses', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(1, 3, clock.now);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
  });

  it('refills at the rate, fractions included, and never past the burst', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(10, 5, clock.now);
    assert.equal(bucket.tryTake(5), true);
    clock.advance(50); // half a token
    assert.equal(bucket.tryTake(), false);
    clock.advance(50);
    assert.equal(bucket.tryTake(), true);
    clock.advance(60_000);
    assert.equal(bucket.tryTake(5), true);
    assert.equal(bucket.tryTake(), false);
  });

  it('takes n tokens at once or none', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(1, 4, clock.now);
    assert.equal(bucket.tryTake(3), true);
    assert.equal(bucket.tryTake(2), false);
    assert.equal(bucket.tryTake(1), true);
    assert.equal(bucket.tryTake(5), false, 'more than the burst never passes');
  });

  it('says how many whole seconds until the next token, at least 1', () => {
    const clock = manualClock();
    const slow = new TokenBucket(0.25, 1, clock.now);
    assert.equal(slow.retryAfterSeconds(), 1, 'a token is available now: still 1');
    assert.equal(slow.tryTake(), true);
    assert.equal(slow.retryAfterSeconds(), 4);
    clock.advance(2500);
    assert.equal(slow.retryAfterSeconds(), 2);
    clock.advance(1499);
    assert.equal(slow.retryAfterSeconds(), 1);
    clock.advance(1);
    assert.equal(slow.tryTake(), true);

    const fast = new TokenBucket(100, 1, clock.now);
    fast.tryTake();
    assert.equal(fast.retryAfterSeconds(), 1);
  });

  it('does not count a fractional rate twice because of floating point', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(0.1, 1, clock.now);
    bucket.tryTake();
    clock.advance(7000);
    assert.equal(bucket.retryAfterSeconds(), 3);
  });

  it('ignores a clock that steps back', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(1, 1, clock.now);
    assert.equal(bucket.tryTake(), true);
    clock.advance(-5000);
    assert.equal(bucket.tryTake(), false);
    clock.advance(5000 + 1000);
    assert.equal(bucket.tryTake(), true);
  });

  it('refuses parameters out of range', () => {
    assert.throws(() => new TokenBucket(0, 1), RangeError);
    assert.throws(() => new TokenBucket(1, 0.5), RangeError);
    assert.throws(() => new TokenBucket(Number.NaN, 1), RangeError);
    assert.throws(() => new TokenBucket(1, Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => new TokenBucket(1, 1).tryTake(0), RangeError);
    assert.throws(() => new TokenBucket(1, 1).tryTake(-1), RangeError);
  });
});
