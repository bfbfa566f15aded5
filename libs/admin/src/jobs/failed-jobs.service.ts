import { Inject, Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { ActivityRepository } from '@seckill/activities';
import { OrderCreateJob, QUEUES } from '@seckill/contracts';
import { DomainError, ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { Actor, AuditService } from '../audit/audit.service';

/** What retry and discard answer. */
export interface JobActionResult {
  queue: string;
  id: string;
  /** The job's state afterwards ("waiting" after a retry, "removed" after a discard). */
  state: string;
  /** Discard of an order-create job: units of reservations without an order, returned to stock. */
  released?: number;
}

/**
 * The operator's hand on jobs that failed for good. Retry puts the job back in line (with a fresh count of
 * attempts), so an order-create job creates its orders once what made it fail is fixed; discard gives up on it: for
 * an order-create job, the units of its reservations that have no order go back to stock (their shoppers see
 * CANCELLED and may buy again), so nothing stays held for an order that will never exist.
 */
@Injectable()
export class FailedJobsService {
  private readonly queues: ReadonlyMap<string, Queue>;

  constructor(
    @Inject(ORDER_CREATE_QUEUE) createQueue: Queue,
    @Inject(ORDER_TIMEOUT_QUEUE) timeoutQueue: Queue,
    private readonly stock: StockService,
    private readonly activities: ActivityRepository,
    private readonly audit: AuditService,
  ) {
    this.queues = new Map([
      [createQueue.name, createQueue],
      [timeoutQueue.name, timeoutQueue],
    ]);
  }

  async retry(actor: Actor, queueName: string, id: string): Promise<JobActionResult> {
    const job = await this.failedJob(queueName, id);
    const before = { state: 'failed', failedReason: job.failedReason, attemptsMade: job.attemptsMade };
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    const state = await job.getState();
    await this.audit.record(actor, 'job.retry', `${queueName}:${id}`, before, { state });
    return { queue: queueName, id, state };
  }

  async discard(actor: Actor, queueName: string, id: string): Promise<JobActionResult> {
    const job = await this.failedJob(queueName, id);
    const before = { state: 'failed', failedReason: job.failedReason, data: job.data as unknown };
    // Units first: should the removal fail, the job is still listed and a second discard finishes the work.
    const released = queueName === QUEUES.orderCreate ? await this.releaseUnits(job.data as OrderCreateJob) : undefined;
    await job.remove();
    await this.audit.record(actor, 'job.discard', `${queueName}:${id}`, before, { state: 'removed', released });
    return { queue: queueName, id, state: 'removed', ...(released === undefined ? {} : { released }) };
  }

  private async failedJob(queueName: string, id: string): Promise<Job> {
    const queue = this.queues.get(queueName);
    if (!queue) throw new DomainError('NOT_FOUND', `no queue named "${queueName}" (queues: ${[...this.queues.keys()].join(', ')})`);
    const job = await queue.getJob(id);
    if (!job || !(await job.isFailed())) throw new DomainError('NOT_FOUND', `no failed job ${id} in ${queueName}`);
    return job;
  }

  private async releaseUnits(data: OrderCreateJob): Promise<number> {
    const activity = await this.activities.findById(data.activityId);
    const shards = activity?.stockShards ?? 1;
    const records = await this.stock.reservations(data.activityId, data.reservations.map((r) => r.reservationId));
    let released = 0;
    for (const record of records) {
      if (!record || (record.status !== 'QUEUED' && record.status !== 'FAILED')) continue;
      if (await this.stock.release(data.activityId, shards, record.reservationId)) released++;
    }
    if (released > 0) await this.stock.announceSoldOut(data.activityId, false);
    return released;
  }
}
