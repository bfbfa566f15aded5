import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activityOfBatchJob, orderCreateJobs, orderTimeoutJobs } from './queues';

describe('order-create job ids', () => {
  it("give a batch's activity back, from the relay's names and the default ones", () => {
    const refs = [{ reservationId: '0f8fad5b-d9cb-469f-a165-70867728950e', userId: '7', reservedAt: 1 }];
    const [relayed] = orderCreateJobs(42, refs, ['1700000000000-3']);
    const [named] = orderCreateJobs(43, refs);
    assert.equal(activityOfBatchJob(relayed.opts.jobId), 42);
    assert.equal(activityOfBatchJob(named.opts.jobId), 43);
  });

  it("say nothing of a lone reservation's job, even one whose id starts with digits and a dash", () => {
    assert.equal(activityOfBatchJob('12345678-d9cb-469f-a165-70867728950e'), undefined);
    assert.equal(activityOfBatchJob('0f8fad5b-d9cb-469f-a165-70867728950e'), undefined);
    assert.equal(activityOfBatchJob('timeout-1-2'), undefined);
  });
});

describe('order-timeout jobs', () => {
  const at = (ms: number) => new Date(ms);

  it('make one delayed job per expiry second, named after its orders whatever their order', () => {
    const now = 1_700_000_000_000;
    const jobs = orderTimeoutJobs(4, [
      { id: 30n, expiresAt: at(now + 5_400) },
      { id: 10n, expiresAt: at(now + 5_100) },
      { id: 20n, expiresAt: at(now + 9_000) },
    ], now);
    assert.deepEqual(jobs.map((job) => [job.opts.jobId, job.data.orderIds, job.opts.delay]), [
      ['timeout-10-2', ['10', '30'], 6_000],
      ['timeout-20-1', ['20'], 9_000],
    ]);
    assert.ok(jobs.every((job) => job.data.activityId === 4));
  });

  it('are due at once for orders already expired, and give the same ids when made again', () => {
    const now = 1_700_000_000_000;
    const orders = [{ id: 7n, expiresAt: at(now - 60_000) }];
    const [job] = orderTimeoutJobs(4, orders, now);
    assert.equal(job.opts.delay, 0);
    assert.equal(orderTimeoutJobs(4, orders, now + 5000)[0].opts.jobId, job.opts.jobId);
  });
});
