import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ActivityRepository } from '@seckill/activities';
import { LedgerEntry } from '@seckill/contracts';
import { OrderRepository, OrderRow, StatusCounts } from '@seckill/order-store';
import { PaymentCounts, PaymentProvider, PaymentRepository, PaymentRow } from '@seckill/payment-store';
import { DomainError, ORDER_CREATE_QUEUE } from '@seckill/platform';
import { LostReservation, StockService } from '@seckill/stock';

export interface Reconciliation {
  consistent: boolean;
  activityId: number;
  stock: number;
  /** Units left in Redis. */
  remaining: number;
  /** Units held in Redis by reservations not released (queued or ordered, not cancelled). */
  reserved: number;
  orders: StatusCounts;
  payments: PaymentCounts;
  /** The provider's ledger for this activity's payments: charges that stand, and charges refunded. */
  ledger: { charged: number; refunded: number };
  /** Reservations still on their way to MySQL (order-create jobs waiting, active, delayed). */
  inFlight: number;
  /** Reservations accepted (202) and lost with Redis' data before they became orders, as seckill reported them. */
  lost: LostReservation[];
  mismatches: string[];
}

/** The provider's ledger is read from this long before the activity's first payment (clocks differ). */
const LEDGER_MARGIN_MS = 5 * 60_000;

/**
 * Holds Redis, MySQL and the provider's ledger against each other for one activity: stock conserved (remaining +
 * held = stock, in Redis and, once drained, in MySQL), and every charge accounted for (nothing charged but not PAID,
 * nothing PAID without a charge, no amounts differing, no refund missing, no order paid twice). A point-in-time
 * check: a payment being settled right now may show for a moment, so alerts should want a mismatch to last.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly activities: ActivityRepository,
    private readonly stock: StockService,
    private readonly orders: OrderRepository,
    private readonly payments: PaymentRepository,
    private readonly provider: PaymentProvider,
    @Inject(ORDER_CREATE_QUEUE) private readonly queue: Queue,
  ) {}

  async reconcile(activityId: number): Promise<Reconciliation> {
    const activity = await this.activities.findById(activityId);
    if (!activity) throw new DomainError('NOT_FOUND', `no activity ${activityId}`);
    // A retired activity's stock is what Redis held when its keys went (kept in MySQL).
    const [lost, remaining, reserved, orders, counts, payments, paymentCounts, settledOrders] = await Promise.all([
      this.stock.lost(activityId),
      this.stock.available(activity),
      activity.retired ? activity.retired.reserved : this.stock.holders(activityId),
      this.orders.countByActivity(activityId),
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
      this.payments.listByActivity(activityId),
      this.payments.countByActivity(activityId),
      this.orders.listByActivity(activityId, ['PAID', 'CANCELLED']),
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
    // A 202 is a promise: one broken by a loss of Redis' data stays a mismatch, for an operator to make good.
    for (const entry of lost) {
      mismatches.push(
        `reservation ${entry.reservationId} of user ${entry.userId}, accepted (202) at ${new Date(entry.reservedAt).toISOString()}, ` +
          "was lost with Redis' data before it became an order",
      );
    }

    let ledger: LedgerEntry[] = [];
    if (payments.length > 0) {
      const since = new Date(Math.min(...payments.map((p) => p.createdAt.getTime())) - LEDGER_MARGIN_MS);
      try {
        const page = await this.provider.ledger(since);
        const ours = new Set(payments.map((p) => String(p.id)));
        ledger = page.items.filter((entry) => ours.has(entry.merchantRef));
        if (page.truncated) mismatches.push('provider ledger truncated: the check covers its first page only');
      } catch (error) {
        mismatches.push(`provider ledger unavailable, payments not checked against it: ${(error as Error).message}`);
      }
      if (!mismatches.some((m) => m.startsWith('provider ledger unavailable'))) {
        mismatches.push(...paymentMismatches(payments, ledger, settledOrders));
      }
    }
    const paidWithout = settledOrders.filter(
      (order) => order.status === 'PAID' && !payments.some((p) => p.orderId === order.id && p.status === 'SUCCEEDED'),
    );
    for (const order of paidWithout) mismatches.push(`order ${order.id} is PAID without a succeeded payment`);

    return {
      consistent: mismatches.length === 0,
      activityId,
      stock: activity.stock,
      remaining,
      reserved,
      orders,
      payments: paymentCounts,
      ledger: {
        charged: ledger.filter((entry) => entry.status === 'SUCCEEDED').length,
        refunded: ledger.filter((entry) => entry.status === 'REFUNDED').length,
      },
      inFlight,
      lost,
      mismatches,
    };
  }
}

/** Every payment held against its charge in the ledger and its order. */
function paymentMismatches(payments: PaymentRow[], ledger: LedgerEntry[], settledOrders: OrderRow[]): string[] {
  const mismatches: string[] = [];
  const charges = new Map(ledger.map((entry) => [entry.merchantRef, entry]));
  const orders = new Map(settledOrders.map((order) => [order.id, order]));
  const succeededPerOrder = new Map<bigint, number>();
  for (const payment of payments) {
    const charge = charges.get(String(payment.id));
    const order = orders.get(payment.orderId);
    const name = `payment ${payment.id} (order ${payment.orderId}, ${payment.status})`;
    if (charge && charge.amountCents !== payment.amountCents) {
      mismatches.push(`${name}: amounts differ, charged ${charge.amountCents}, recorded ${payment.amountCents}`);
    }
    switch (payment.status) {
      case 'SUCCEEDED':
        succeededPerOrder.set(payment.orderId, (succeededPerOrder.get(payment.orderId) ?? 0) + 1);
        if (!charge) mismatches.push(`${name}: no charge in the provider's ledger`);
        else if (charge.status === 'REFUNDED') mismatches.push(`${name}: refunded at the provider, not recorded here`);
        if (order?.status !== 'PAID') mismatches.push(`${name}: charged but the order is ${order?.status ?? 'PENDING_PAYMENT'} (refund missing or order not PAID)`);
        else if (order.price_cents !== payment.amountCents) {
          mismatches.push(`${name}: amounts differ, order ${order.price_cents}, payment ${payment.amountCents}`);
        }
        break;
      case 'REFUNDED':
        if (!charge) mismatches.push(`${name}: no charge in the provider's ledger`);
        else if (charge.status !== 'REFUNDED') mismatches.push(`${name}: refund missing at the provider (charge ${charge.status})`);
        break;
      case 'PENDING':
      case 'FAILED':
        if (charge?.status === 'SUCCEEDED') mismatches.push(`${name}: charged at the provider but not settled here (not PAID)`);
        if (charge?.status === 'REFUNDED') mismatches.push(`${name}: charged and refunded at the provider, not recorded here`);
        break;
    }
  }
  for (const [orderId, count] of succeededPerOrder) {
    if (count > 1) mismatches.push(`order ${orderId} paid ${count} times`);
  }
  return mismatches;
}
