import { Injectable } from '@nestjs/common';
import { OrderRepository, OrderRow } from '@seckill/order-store';
import { HeldOrder, RestoreOutcome, StockActivity, StockService } from './stock.service';

/** The orders of an activity that hold a unit (not cancelled), as restore() takes them. */
export function heldOrders(rows: OrderRow[]): HeldOrder[] {
  return rows
    .filter((row) => row.status !== 'CANCELLED')
    .map((row) => ({ userId: String(row.user_id), reservationId: row.reservation_id, orderId: String(row.id), createdAt: row.created_at.getTime() }));
}

/**
 * Loads an activity's hot state into Redis safely at any time. Before its start there is no order, and loading is a
 * prewarm. After it, Redis may have lost what it held (a flush, a restart without persistence, a failover that lost
 * writes), and a plain prewarm would put the whole stock on sale again: the activity is loaded from MySQL's orders
 * instead (remaining = stock − orders not cancelled, holders from the orders); an activity Redis holds is left alone.
 * One load per activity at a time in this process; concurrent loads in other processes are harmless (restore.lua is
 * idempotent).
 */
@Injectable()
export class HotStateService {
  private readonly loading = new Map<number, Promise<number>>();

  constructor(
    private readonly stock: StockService,
    private readonly orders: OrderRepository,
  ) {}

  /** Loads the activity (idempotent); returns the units remaining. */
  load(activity: StockActivity, now = Date.now()): Promise<number> {
    if (now < activity.startAt) return this.stock.prewarm(activity);
    const running = this.loading.get(activity.id);
    if (running) return running;
    const load = this.restore(activity, 'load')
      .then((outcome) => outcome.remaining ?? 0)
      .finally(() => this.loading.delete(activity.id));
    this.loading.set(activity.id, load);
    return load;
  }

  /**
   * Restores the activity from its orders whatever its start: loads it if Redis lost it, and adopts the orders Redis
   * does not know if it holds it (MySQL's live orders are the truth).
   */
  rebuild(activity: StockActivity): Promise<RestoreOutcome> {
    return this.restore(activity, 'rebuild');
  }

  private async restore(activity: StockActivity, mode: 'load' | 'rebuild'): Promise<RestoreOutcome> {
    const rows = await this.orders.listByActivity(activity.id, ['PENDING_PAYMENT', 'PAID']);
    return this.stock.restore(activity, heldOrders(rows), mode);
  }
}
