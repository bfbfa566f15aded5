import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StaggerSchedule } from './stagger';

describe('StaggerSchedule', () => {
  const schedule = new StaggerSchedule('a-test-secret-of-at-least-32-characters!');

  it('spreads 20,000 shoppers evenly over the window (each tenth within 6% of its share)', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let user = 1; user <= 20_000; user++) {
      const offset = schedule.offsetMs(7, String(user), 60);
      assert.ok(offset >= 0 && offset < 60_000 && Number.isInteger(offset), `offset ${offset}`);
      buckets[Math.floor(offset / 6000)]++;
    }
    for (const count of buckets) assert.ok(Math.abs(count - 2000) < 120, `bucket of ${count}, expected about 2000`);
  });

  it('derives the same offset every time, different per activity and per secret, and 0 when off', () => {
    assert.equal(schedule.offsetMs(7, '42', 60), schedule.offsetMs(7, '42', 60));
    const perActivity = Array.from({ length: 20 }, (_, id) => schedule.offsetMs(id, '42', 60));
    assert.ok(new Set(perActivity).size > 15);
    const other = new StaggerSchedule('another-secret-of-at-least-32-characters');
    assert.notEqual(other.offsetMs(7, '42', 60), schedule.offsetMs(7, '42', 60));
    assert.equal(schedule.offsetMs(7, '42', 0), 0);
  });
});
