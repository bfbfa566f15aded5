import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { OrderCreateJob, QUEUES } from '@seckill/contracts';
import { AppConfig } from '@seckill/platform';
import { OrderCreationService } from './order-creation.service';
import { OrdersMetrics } from './orders.metrics';

/**
 * Drains the order-create queue into the shards. Created with autorun off so that its concurrency and lock come
 * from the validated configuration before it takes a job. The rate (the funnel's leaky bucket) is counted in orders,
 * not jobs, by OrderCreationService: BullMQ's limiter counts jobs, whose sizes vary.
 */
@Processor(QUEUES.orderCreate, { autorun: false })
export class OrderCreateProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly creation: OrderCreationService,
    private readonly config: AppConfig,
    private readonly metrics: OrdersMetrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    Object.assign(this.worker.opts, {
      lockDuration: this.config.ORDER_JOB_LOCK_MS,
      stalledInterval: this.config.ORDER_JOB_LOCK_MS,
    });
    this.worker.concurrency = this.config.ORDER_WORKER_CONCURRENCY;
    void this.worker.run();
  }

  async process(job: Job<OrderCreateJob>): Promise<{ orders: number; refused: string[] }> {
    this.metrics.batchSize.observe(job.data.reservations.length);
    const stop = this.metrics.jobSeconds.startTimer();
    const outcome = await this.creation.create(job.data);
    stop();
    this.metrics.jobLatency.observe(Math.max(0, Date.now() - job.timestamp) / 1000);
    return { orders: outcome.orders.length, refused: outcome.refused };
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<OrderCreateJob> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    (final ? this.metrics.failed : this.metrics.retries).inc({ queue: QUEUES.orderCreate });
    if (final) await this.creation.failed(job.data, error.message);
  }
}
