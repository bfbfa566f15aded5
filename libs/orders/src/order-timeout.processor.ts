import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { OrderTimeoutJob, QUEUES } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { OrderRepository } from '@seckill/order-store';
import { OrderTimeouts } from './order-timeouts';
import { OrdersMetrics } from './orders.metrics';

/** Timeout jobs one order process holds at once (each only waits for its pass; see onApplicationBootstrap). */
const TIMEOUT_JOBS_AT_ONCE = 2048;

/**
 * Takes the due order-timeout jobs (a delayed job per creation batch and expiry second, all of one activity) and hands
 * their orders to OrderTimeouts, which cancels them in batches, activity by activity (see there). A payment "cancels"
 * its order's timeout by making the order PAID: the cancel is a conditional UPDATE from PENDING_PAYMENT, so a PAID
 * order in the job is skipped and keeps its unit.
 */
@Processor(QUEUES.orderTimeout, { autorun: false })
export class OrderTimeoutProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly timeouts: OrderTimeouts,
    private readonly orders: OrderRepository,
    private readonly config: AppConfig,
    private readonly metrics: OrdersMetrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    Object.assign(this.worker.opts, { lockDuration: this.config.ORDER_JOB_LOCK_MS, stalledInterval: this.config.ORDER_JOB_LOCK_MS });
    // Many jobs at once: an active job only waits in memory for its pass, and taking every due job lets the passes
    // batch across jobs and give every activity with due orders its share (the queue alone is first come first served).
    this.worker.concurrency = TIMEOUT_JOBS_AT_ONCE;
    void this.worker.run();
  }

  async process(job: Job<OrderTimeoutJob>): Promise<number> {
    const { orderIds } = job.data;
    // Jobs scheduled before the payload named its activity: their orders (one creation batch) tell it.
    const activityId = job.data.activityId ?? (orderIds.length > 0 ? ((await this.orders.findById(BigInt(orderIds[0])))?.activity_id ?? 0) : 0);
    const outcome = await this.timeouts.expire(activityId, orderIds);
    if (outcome.early.length > 0) {
      // Delivered a little early (clocks differ): fail this attempt so that the retry cancels them when due.
      throw new Error(`order(s) ${outcome.early.join(', ')} not due yet`);
    }
    return outcome.cancelled;
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<OrderTimeoutJob> | undefined, error: Error): void {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    (final ? this.metrics.failed : this.metrics.retries).inc({ queue: QUEUES.orderTimeout });
  }
}
