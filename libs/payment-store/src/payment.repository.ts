import { Inject, Injectable } from '@nestjs/common';
import { CORE_DB, Prisma, PrismaClient } from '@seckill/platform';
import { PaymentRow, PaymentState } from './payment-record';

export interface NewPayment {
  orderId: bigint;
  activityId: number;
  userId: bigint;
  amountCents: number;
  idempotencyKey: string;
}

/** Payments of an activity by status (reconciliation, stats). */
export type PaymentCounts = Record<Lowercase<PaymentState>, number>;

/**
 * The only code that touches the payments table. Every change of status is one conditional UPDATE from the states
 * it may come from, so a duplicated or late notification, a retried request and a racing instance each find the
 * change already made and do nothing.
 */
@Injectable()
export class PaymentRepository {
  constructor(@Inject(CORE_DB) private readonly db: PrismaClient) {}

  /**
   * Creates a PENDING payment holding its order's open slot. Returns null when the slot or the caller's
   * idempotency key is taken already (the caller then reads the payment that holds it).
   */
  async create(payment: NewPayment): Promise<PaymentRow | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.payment.create({ data: { ...payment, status: 'PENDING', openOrderId: payment.orderId } });
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
        // Concurrent INSERTs of the same unique keys deadlock in InnoDB (each waits to upgrade the shared lock its
        // duplicate check took): the victim is rolled back, and inserting again finds the winner's row (P2002).
        if (attempt < 3 && isDeadlock(error)) continue;
        throw error;
      }
    }
  }

  findById(id: bigint): Promise<PaymentRow | null> {
    return this.db.payment.findUnique({ where: { id } });
  }

  findByKey(userId: bigint, idempotencyKey: string): Promise<PaymentRow | null> {
    return this.db.payment.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } });
  }

  /** The order's PENDING or SUCCEEDED payment, if any. */
  findOpen(orderId: bigint): Promise<PaymentRow | null> {
    return this.db.payment.findUnique({ where: { openOrderId: orderId } });
  }

  /**
   * Takes the right to call the provider for a PENDING payment until `until`, unless another request holds it: so
   * that twenty concurrent attempts make one call, while an attempt after a failed call may make another.
   */
  async takeChargeLease(id: bigint, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.db.payment.updateMany({
      where: { id, status: 'PENDING', OR: [{ chargingUntil: null }, { chargingUntil: { lt: now } }] },
      data: { chargingUntil: until },
    });
    return count === 1;
  }

  async releaseChargeLease(id: bigint): Promise<void> {
    await this.db.payment.updateMany({ where: { id, status: 'PENDING' }, data: { chargingUntil: null } });
  }

  /** PENDING → SUCCEEDED with its charge. True for the caller that made the change. */
  async markSucceeded(id: bigint, chargeId: string, at: Date): Promise<boolean> {
    const { count } = await this.db.payment.updateMany({
      where: { id, status: 'PENDING' },
      data: { status: 'SUCCEEDED', providerChargeId: chargeId, succeededAt: at, chargingUntil: null },
    });
    return count === 1;
  }

  /** PENDING → FAILED (declined): the order's open slot is freed, so the shopper may pay again. */
  async markFailed(id: bigint, chargeId: string | null): Promise<boolean> {
    const { count } = await this.db.payment.updateMany({
      where: { id, status: 'PENDING' },
      data: { status: 'FAILED', providerChargeId: chargeId, openOrderId: null, chargingUntil: null },
    });
    return count === 1;
  }

  /** SUCCEEDED (or PENDING, when the provider reports the refund first) → REFUNDED; frees the open slot. */
  async markRefunded(id: bigint, chargeId: string, refundId: string, at: Date): Promise<boolean> {
    const { count } = await this.db.payment.updateMany({
      where: { id, status: { in: ['SUCCEEDED', 'PENDING'] } },
      data: { status: 'REFUNDED', providerChargeId: chargeId, providerRefundId: refundId, refundedAt: at, openOrderId: null, chargingUntil: null },
    });
    return count === 1;
  }

  /** Every payment of an activity, oldest first (reconciliation; a sale has at most a few of them per unit). */
  listByActivity(activityId: number): Promise<PaymentRow[]> {
    return this.db.payment.findMany({ where: { activityId }, orderBy: { id: 'asc' } });
  }

  async countByActivity(activityId: number): Promise<PaymentCounts> {
    const counts: PaymentCounts = { pending: 0, succeeded: 0, failed: 0, refunded: 0 };
    const groups = await this.db.payment.groupBy({ by: ['status'], where: { activityId }, _count: { _all: true } });
    for (const group of groups) counts[group.status.toLowerCase() as keyof PaymentCounts] = group._count._all;
    return counts;
  }
}

/** Whether MySQL/MariaDB chose this statement as a deadlock's victim (Prisma's P2034, error 1213 underneath). */
function isDeadlock(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2034') return true;
  return error instanceof Error && /deadlock/i.test(error.message);
}
