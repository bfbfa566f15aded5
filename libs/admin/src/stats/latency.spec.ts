import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentileMs } from './latency';

const buckets = (entries: Array<[string, number]>) => new Map(entries);

describe('percentileMs', () => {
  it('is null with nothing measured', () => {
    assert.equal(percentileMs(buckets([])), null);
    assert.equal(percentileMs(buckets([['0.001', 0], ['+Inf', 0]])), null);
  });

  it('interpolates inside the bucket the rank falls in', () => {
    // 100 answers: 90 within 1 ms, 10 between 1 and 5 ms. p99 = rank 99 → 9/10 of the way from 1 to 5 ms.
    const p99 = percentileMs(buckets([['0.001', 90], ['0.005', 100], ['0.01', 100], ['+Inf', 100]]));
    assert.ok(p99 !== null && Math.abs(p99 - 4.6) < 1e-9, String(p99));
  });

  it('answers the largest finite bound when the rank is past it', () => {
    assert.equal(percentileMs(buckets([['0.001', 10], ['0.5', 50], ['+Inf', 100]])), 500);
  });

  it('takes the median when asked', () => {
    assert.equal(percentileMs(buckets([['0.002', 100], ['+Inf', 100]]), 0.5), 1);
  });
});
