import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('hands concurrent items to one call and answers each caller', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>({ maxSize: 100, lingerMs: 5, run: async (items) => (calls.push(items), items.map((n) => n * 2)) });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    assert.deepEqual(results, [2, 4, 6]);
    assert.deepEqual(calls, [[1, 2, 3]]);
  });

  it('splits at maxSize and fails every item of a failed batch only', async () => {
    const batcher = new MicroBatcher<number, number>({
      maxSize: 2,
      lingerMs: 5,
      run: async (items) => {
        if (items.includes(3)) throw new Error('boom');
        return items;
      },
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });
});
