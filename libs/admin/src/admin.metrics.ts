import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { MetricsService, ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { ReconciliationService } from './reconciliation.service';

const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;
/** Reconciliation costs a count over every shard table per activity: every 30 s is plenty for an alert. */
const RECONCILE_EVERY_MS = 30_000;

/**
 * The admin service's Prometheus metrics for the deployment as a whole: BullMQ's queue depths by state (read at
 * each scrape), and the reconciliation mismatches of every activity loaded in Redis (checked every 30 s), which
 * the alert rules watch.
 */
@Injectable()
export class AdminMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AdminMetrics.name);
  private readonly mismatches;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    metrics: MetricsService,
    @Inject(ORDER_CREATE_QUEUE) createQueue: Queue,
    @Inject(ORDER_TIMEOUT_QUEUE) timeoutQueue: Queue,
    private readonly stock: StockService,
    private readonly reconciliation: ReconciliationService,
  ) {
    metrics.gauge('bullmq_queue_jobs', 'BullMQ jobs by queue and state', ['queue', 'state'], async (gauge) => {
      for (const queue of [createQueue, timeoutQueue]) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    });
    this.mismatches = metrics.gauge(
      'seckill_reconciliation_mismatches',
      'Mismatches between Redis and MySQL per activity loaded in Redis (0 = consistent)',
      ['activity'],
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reconcileLive(), RECONCILE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reconciles every activity loaded in Redis and publishes its number of mismatches. */
  async reconcileLive(): Promise<void> {
    try {
      const ids = await this.stock.liveActivities();
      this.mismatches.reset();
      for (const id of ids) {
        const outcome = await this.reconciliation.reconcile(id).catch(() => null);
        if (outcome) this.mismatches.set({ activity: String(id) }, outcome.mismatches.length);
      }
    } catch (error) {
      this.logger.warn(`reconciliation metrics: ${(error as Error).message}`);
    }
  }
}
