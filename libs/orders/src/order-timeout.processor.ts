import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { OrderTimeoutJob, QUEUES } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { OrderCancellationService } from './order-cancellation.service';
import { OrdersMetrics } from './orders.metrics';

/**
 * Cancels the orders still unpaid at their expiresAt (a delayed job per group due together) and returns their units.
 * A payment "cancels" its order's timeout by making the order PAID: the cancel is a conditional UPDATE from
 * PENDING_PAYMENT, so a PAID order in the job is skipped and keeps its unit.
 */
@Processor(QUEUES.orderTimeout, { autorun: false })
export class OrderTimeoutProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly cancellation: OrderCancellationService,
    private readonly config: AppConfig,
    private readonly metrics: OrdersMetrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    Object.assign(this.worker.opts, { lockDuration: this.config.ORDER_JOB_LOCK_MS, stalledInterval: this.config.ORDER_JOB_LOCK_MS });
    this.worker.concurrency = 8;
    void this.worker.run();
  }

  async process(job: Job<OrderTimeoutJob>): Promise<number> {
    const now = new Date();
    let cancelled = 0;
    const early: string[] = [];
    for (const orderId of job.data.orderIds) {
      const order = await this.cancellation.cancel(BigInt(orderId), now);
      if (order?.status === 'CANCELLED') cancelled++;
      if (order?.status === 'PENDING_PAYMENT' && order.expires_at > now) early.push(orderId);
    }
    if (early.length > 0) {
      // Delivered a little early (clocks differ): fail this attempt so that the retry cancels them when due.
      throw new Error(`order(s) ${early.join(', ')} not due yet`);
    }
    return cancelled;
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<OrderTimeoutJob> | undefined, error: Error): void {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    (final ? this.metrics.failed : this.metrics.retries).inc({ queue: QUEUES.orderTimeout });
  }
}
