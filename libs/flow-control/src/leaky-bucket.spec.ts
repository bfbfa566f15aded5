import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeakyBucket } from './leaky-bucket';

describe('LeakyBucket', () => {
  it('lets work out at the rate, evenly, whatever the batch sizes', async () => {
    let now = 1000;
    const slept: number[] = [];
    const bucket = new LeakyBucket(100, () => now, async (ms) => {
      slept.push(ms);
      now += ms;
    });
    assert.equal(await bucket.acquire(50), 0); // empty: at once
    assert.equal(await bucket.acquire(10), 500); // behind 50 units at 100/s
    assert.equal(await bucket.acquire(1), 100);
    now += 5000; // idle: drained
    assert.equal(await bucket.acquire(300), 0); // larger than a second's worth: starts at once...
    assert.equal(await bucket.acquire(1), 3000); // ...and the next waits for it to drain
    assert.deepEqual(slept, [500, 100, 3000]);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => new LeakyBucket(0), RangeError);
  });
});
