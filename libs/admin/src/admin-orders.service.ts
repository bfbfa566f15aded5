import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { MAX_ORDER_ID, OrderRepository, OrderView, toOrderView } from '@seckill/order-store';
import { ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE } from '@seckill/platform';

export interface FailedJobView {
  id: string;
  queue: string;
  data: unknown;
  reason: string;
  attemptsMade: number;
  failedAt: string | null;
}

/** The operator's view of orders across every shard, and of the order queues. */
@Injectable()
export class AdminOrdersService {
  constructor(
    private readonly orders: OrderRepository,
    @Inject(ORDER_CREATE_QUEUE) private readonly createQueue: Queue,
    @Inject(ORDER_TIMEOUT_QUEUE) private readonly timeoutQueue: Queue,
  ) {}

  /** Every order, newest first, merged across shards (scatter-gather), paginated by cursor. */
  async list(limit: number, cursor?: string, activityId?: number): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    const before = cursor === undefined ? undefined : BigInt(cursor);
    if (before !== undefined && before > MAX_ORDER_ID) return { items: [], nextCursor: null };
    const rows = await this.orders.listAll(limit + 1, before, activityId);
    const page = rows.slice(0, limit);
    return { items: page.map(toOrderView), nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null };
  }

  /** Queue depths and the jobs that failed for good, with their reasons. */
  async queues(): Promise<{ depths: Record<string, Record<string, number>>; failed: FailedJobView[] }> {
    const queues = [this.createQueue, this.timeoutQueue];
    const depths: Record<string, Record<string, number>> = {};
    const failed: FailedJobView[] = [];
    for (const queue of queues) {
      depths[queue.name] = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      for (const job of await queue.getFailed(0, 99)) {
        failed.push({
          id: String(job.id),
          queue: queue.name,
          data: job.data,
          reason: job.failedReason,
          attemptsMade: job.attemptsMade,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        });
      }
    }
    return { depths, failed };
  }
}
