import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activityOfBatchJob, orderCreateJobs } from './queues';

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
