import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ActivityRepository } from '@seckill/activities';
import { OrderRepository, StatusCounts } from '@seckill/order-store';
import { DomainError, ORDER_CREATE_QUEUE } from '@seckill/platform';
import { StockService } from '@seckill/stock';

export interface Reconciliation {
  consistent: boolean;
  activityId: number;
  stock: number;
  /** Units left in Redis. */
  remaining: number;
  /** Units held in Redis by reservations not released (queued or ordered, not cancelled). */
  reserved: number;
  orders: StatusCounts;
  payments: { succeeded: number };
  /** Reservations still on their way to MySQL (order-create jobs waiting, active, delayed). */
  inFlight: number;
  mismatches: string[];
}

/**
 * Holds Redis and MySQL against each other for one activity (invariant 4: remaining + held = stock, in Redis and,
 * once the queue is drained, in MySQL). The payment provider's ledger joins this with the payment service.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly activities: ActivityRepository,
    private readonly stock: StockService,
    private readonly orders: OrderRepository,
    @Inject(ORDER_CREATE_QUEUE) private readonly queue: Queue,
  ) {}

  async reconcile(activityId: number): Promise<Reconciliation> {
    const activity = await this.activities.findById(activityId);
    if (!activity) throw new DomainError('NOT_FOUND', `no activity ${activityId}`);
    // A retired activity's stock is what Redis held when its keys went (kept in MySQL).
    const [remaining, reserved, orders, counts] = await Promise.all([
      this.stock.available(activity),
      activity.retired ? activity.retired.reserved : this.stock.holders(activityId),
      this.orders.countByActivity(activityId),
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
    ]);
    const inFlight = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const live = orders.pendingPayment + orders.paid;
    const mismatches: string[] = [];
    if (remaining < 0) mismatches.push(`Redis remaining is negative (${remaining})`);
    if (remaining + reserved !== activity.stock) {
      mismatches.push(`Redis: remaining ${remaining} + reserved ${reserved} ≠ stock ${activity.stock}`);
    }
    if (live > activity.stock) mismatches.push(`MySQL: ${live} live orders exceed the stock of ${activity.stock}`);
    if (remaining + live > activity.stock) {
      mismatches.push(`MySQL/Redis: live orders ${live} + remaining ${remaining} exceed stock ${activity.stock}`);
    }
    if (inFlight === 0 && live !== reserved) {
      mismatches.push(`drained, yet MySQL has ${live} live orders for ${reserved} units held in Redis`);
    }
    return {
      consistent: mismatches.length === 0,
      activityId,
      stock: activity.stock,
      remaining,
      reserved,
      orders,
      payments: { succeeded: 0 },
      inFlight,
      mismatches,
    };
  }
}
