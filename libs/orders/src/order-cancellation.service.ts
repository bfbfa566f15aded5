import { Injectable, Logger } from '@nestjs/common';
import { OrderRepository, OrderRow } from '@seckill/order-store';
import { StockService } from '@seckill/stock';
import { ActivityLookup } from './activity-lookup';
import { OrdersMetrics } from './orders.metrics';

/**
 * Cancels unpaid orders (the shopper's cancel, or the timeout) and returns their unit to stock. The status change
 * is conditional (PENDING_PAYMENT → CANCELLED), so it cannot race a payment; the stock release is idempotent and
 * runs for every cancelled order, so a crash between the two is repaired by a retry.
 */
@Injectable()
export class OrderCancellationService {
  private readonly logger = new Logger(OrderCancellationService.name);

  constructor(
    private readonly orders: OrderRepository,
    private readonly stock: StockService,
    private readonly activities: ActivityLookup,
    private readonly metrics: OrdersMetrics,
  ) {}

  /**
   * @param dueBy for timeouts: cancel only if the order expired by then
   * @returns the order as it is afterwards (null if unknown)
   */
  async cancel(orderId: bigint, dueBy?: Date): Promise<OrderRow | null> {
    const changed = await this.orders.transition(orderId, 'CANCELLED', new Date(), dueBy);
    if (changed && dueBy) this.metrics.timeoutsCancelled.inc();
    const order = await this.orders.findById(orderId);
    if (order?.status === 'CANCELLED') await this.returnUnit(order);
    return order;
  }

  private async returnUnit(order: OrderRow): Promise<void> {
    const activity = await this.activities.get(order.activity_id);
    const shards = activity?.stockShards ?? 1;
    if (await this.stock.release(order.activity_id, shards, order.reservation_id, String(order.id))) {
      this.logger.debug(`order ${order.id} cancelled: unit returned to activity ${order.activity_id}`);
      // Every seckill instance lifts its in-memory sold-out flag.
      await this.stock.announceSoldOut(order.activity_id, false);
    }
  }
}
