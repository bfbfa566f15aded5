import { Injectable } from '@nestjs/common';
import { MetricsService } from '@seckill/platform';

/**
 * The order drain's Prometheus metrics (the order service's /metrics). Orders created are counted where they are
 * written (OrderWriter: orders_created_total), the sweeper's repairs by the sweeper (orders_sweeper_repairs_total).
 */
@Injectable()
export class OrdersMetrics {
  /** Reservations per order-create job. */
  readonly batchSize;
  /** How long an order-create job took to process, once taken. */
  readonly jobSeconds;
  /** From the job's creation (the relay's hand-off) to its completion: the drain's lag. */
  readonly jobLatency;
  /** Attempts that failed and will be retried. */
  readonly retries;
  /** Jobs that failed for good (in the failed set, waiting for an operator). */
  readonly failed;
  /** Orders cancelled at their expiry by the timeout jobs. */
  readonly timeoutsCancelled;

  constructor(metrics: MetricsService) {
    this.batchSize = metrics.histogram('orders_create_batch_size', 'Reservations per order-create job', [], [
      1, 5, 10, 50, 100, 200, 500, 1000,
    ]);
    this.jobSeconds = metrics.histogram('orders_create_job_seconds', 'Processing time of an order-create job', [], [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]);
    this.jobLatency = metrics.histogram('orders_create_job_latency_seconds', 'From enqueue to completion of an order-create job', [], [
      0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
    ]);
    this.retries = metrics.counter('orders_job_retries_total', 'Job attempts that failed and will be retried, by queue', ['queue']);
    this.failed = metrics.counter('orders_jobs_failed_total', 'Jobs that failed for good, by queue', ['queue']);
    this.timeoutsCancelled = metrics.counter('orders_timeout_cancelled_total', 'Unpaid orders cancelled at their expiry', []);
  }
}
