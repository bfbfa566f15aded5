import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOrderId, ORDER_ID_EPOCH_MS, OrderIdGenerator } from './order-id';
import { ShardRouter } from './shard-router';

describe('OrderIdGenerator', () => {
  it('lays out time, worker, sequence and the user gene', () => {
    const now = ORDER_ID_EPOCH_MS + 123_456;
    const id = new OrderIdGenerator(7, () => now).next(5000n);
    assert.deepEqual(decodeOrderId(id), { ms: now, workerId: 7, sequence: 0, gene: 5000 % 1024 });
    assert.ok(id < 2n ** 63n);
  });

  it('never repeats within a millisecond, past 128 ids, or when the clock steps back', () => {
    let now = ORDER_ID_EPOCH_MS + 1000;
    const generator = new OrderIdGenerator(1, () => now);
    const ids = new Set<bigint>();
    for (let i = 0; i < 1000; i++) ids.add(generator.next(42n));
    now -= 500; // clock stepped back
    for (let i = 0; i < 300; i++) ids.add(generator.next(42n));
    assert.equal(ids.size, 1300);
    const sorted = [...ids];
    assert.ok(sorted.every((id, i) => i === 0 || id > sorted[i - 1]), 'ids increase');
  });

  it('routes an order id to the same table as its user', () => {
    const router = new ShardRouter(2, 8);
    const generator = new OrderIdGenerator(3);
    for (const user of [1n, 2n, 17n, 1023n, 1024n, 98765432109876n]) {
      assert.deepEqual(router.forOrderId(generator.next(user)), router.forUser(user));
    }
  });

  it('refuses a worker number out of range', () => {
    assert.throws(() => new OrderIdGenerator(32), RangeError);
    assert.throws(() => new OrderIdGenerator(-1), RangeError);
  });
});

describe('ShardRouter', () => {
  it('spreads consecutive users over every table of every database', () => {
    const router = new ShardRouter(2, 8);
    const seen = new Set<string>();
    for (let user = 1n; user <= 16n; user++) {
      const at = router.forUser(user);
      seen.add(`${at.database}/${at.tableName}`);
    }
    assert.equal(seen.size, 16);
    assert.equal(router.all().length, 16);
  });

  it('refuses layouts the id cannot carry', () => {
    assert.throws(() => new ShardRouter(3, 8), RangeError);
    assert.doesNotThrow(() => new ShardRouter(1, 1));
  });
});
