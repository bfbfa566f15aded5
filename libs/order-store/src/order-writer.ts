import { Injectable, Optional } from '@nestjs/common';
import { LiveStats, MetricsService, MicroBatcher, Prisma } from '@seckill/platform';
import { NewOrder, OrderRow } from './order-record';
import { OrderRepository } from './order.repository';
import { ShardLocation } from './shard-router';

/** Orders written at most in one statement (a few hundred rows stay far below max_allowed_packet). */
const MAX_BATCH = 500;
/** How long an order waits for others bound for its table before its batch is written. */
const LINGER_MS = 2;

/**
 * Gathers the orders that concurrent jobs create into one multi-row INSERT per table (the drain's cost is per
 * statement far more than per row) and answers each job with its own row. Idempotent: INSERT IGNORE on the
 * reservation and (activity, user, live) keys; when some rows were ignored, the batch is read back by
 * reservation id, so a replayed reservation gets the order that already exists.
 */
@Injectable()
export class OrderWriter {
  private readonly batchers = new Map<string, MicroBatcher<NewOrder, OrderRow | null>>();
  private readonly created;

  constructor(
    private readonly orders: OrderRepository,
    @Optional() private readonly stats?: LiveStats,
    @Optional() metrics?: MetricsService,
  ) {
    this.created = metrics?.counter('orders_created_total', 'Orders written (new rows; a replay that finds its order adds none)', []);
  }

  /** The order of this reservation (existing or new), or null if the user holds another live order. */
  write(order: NewOrder): Promise<OrderRow | null> {
    const at = this.orders.router.forUser(order.userId);
    const key = `${at.database}/${at.tableName}`;
    let batcher = this.batchers.get(key);
    if (!batcher) {
      batcher = new MicroBatcher({ maxSize: MAX_BATCH, lingerMs: LINGER_MS, run: (orders) => this.writeBatch(at, orders) });
      this.batchers.set(key, batcher);
    }
    return batcher.add(order);
  }

  private async writeBatch(at: ShardLocation, orders: NewOrder[]): Promise<Array<OrderRow | null>> {
    const values = orders.map(
      (o) =>
        Prisma.sql`(${o.id}, ${o.reservationId}, ${o.activityId}, ${o.userId}, ${o.priceCents}, 'PENDING_PAYMENT', 1, ${o.createdAt}, ${o.expiresAt})`,
    );
    const inserted = await this.orders.shardClient(at.database).$executeRaw`
      INSERT IGNORE INTO ${Prisma.raw(at.tableName)} (id, reservation_id, activity_id, user_id, price_cents, status, live, created_at, expires_at)
      VALUES ${Prisma.join(values)}`;
    // Every row went in (the usual case): they are exactly what we wrote, no need to read them back.
    if (inserted === orders.length) {
      this.countCreated(orders);
      return orders.map(asNewRow);
    }
    const rows = await this.orders.findByReservations(at, orders.map((o) => o.reservationId));
    const byReservation = new Map(rows.map((row) => [row.reservation_id, row]));
    const found = orders.map((o) => byReservation.get(o.reservationId) ?? null);
    // A row carrying the id this batch generated is one this batch inserted; any other was there before.
    this.countCreated(orders.filter((o, index) => found[index]?.id === o.id));
    return found;
  }

  /** Orders created: in the live stats per activity, and in /metrics. */
  private countCreated(created: NewOrder[]): void {
    this.created?.inc(created.length);
    if (!this.stats) return;
    for (const order of created) this.stats.addForActivity(order.activityId, 'created');
  }
}

function asNewRow(order: NewOrder): OrderRow {
  return {
    id: order.id,
    reservation_id: order.reservationId,
    activity_id: order.activityId,
    user_id: order.userId,
    price_cents: order.priceCents,
    status: 'PENDING_PAYMENT',
    created_at: order.createdAt,
    expires_at: order.expiresAt,
    paid_at: null,
    cancelled_at: null,
  };
}
