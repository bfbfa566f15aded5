import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { MetricsService, ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE } from '@seckill/platform';

const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;

/**
 * The admin service's Prometheus metrics for the deployment as a whole: BullMQ's queue depths by state, read at each
 * scrape. (The reconciliation mismatches per activity, which the alert rules also watch, are exported by
 * ReconciliationScheduler.)
 */
@Injectable()
export class AdminMetrics {
  constructor(
    metrics: MetricsService,
    @Inject(ORDER_CREATE_QUEUE) createQueue: Queue,
    @Inject(ORDER_TIMEOUT_QUEUE) timeoutQueue: Queue,
  ) {
    metrics.gauge('bullmq_queue_jobs', 'BullMQ jobs by queue and state', ['queue', 'state'], async (gauge) => {
      for (const queue of [createQueue, timeoutQueue]) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    });
  }
}
