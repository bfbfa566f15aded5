import { Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { OrderTimeoutJob, QUEUES } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { OrderCancellationService } from './order-cancellation.service';

/** Cancels an order still unpaid at its expiresAt (a delayed job per order) and returns its unit. */
@Processor(QUEUES.orderTimeout, { autorun: false })
export class OrderTimeoutProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly cancellation: OrderCancellationService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    Object.assign(this.worker.opts, { lockDuration: this.config.ORDER_JOB_LOCK_MS, stalledInterval: this.config.ORDER_JOB_LOCK_MS });
    this.worker.concurrency = 8;
    void this.worker.run();
  }

  async process(job: Job<OrderTimeoutJob>): Promise<string> {
    const now = new Date();
    const order = await this.cancellation.cancel(BigInt(job.data.orderId), now);
    if (order?.status === 'PENDING_PAYMENT' && order.expires_at > now) {
      // Delivered a little early (clocks differ): fail this attempt so that the retry cancels it when due.
      throw new Error(`order ${job.data.orderId} is not due until ${order.expires_at.toISOString()}`);
    }
    return order?.status ?? 'UNKNOWN';
  }
}
