import { Injectable, Logger } from '@nestjs/common';
import { OrderRepository } from '@seckill/order-store';
import { PaymentProvider, PaymentRepository, PaymentRow, refundKey } from '@seckill/payment-store';
import { PaymentsMetrics } from './payments.metrics';

/**
 * What a charge's outcome does, whoever reports it (the charge call's answer or a notification, in any order, any
 * number of times). Every step is a conditional UPDATE, so a repeat finds it done:
 *
 * 1. succeeded: the payment PENDING → SUCCEEDED first, then its order PENDING_PAYMENT → PAID. A payment that is
 *    SUCCEEDED holds its order's open slot, so no other payment of that order can have paid it: if the order is
 *    PAID, this payment paid it (maybe on an earlier delivery that stopped between the two steps).
 * 2. If the order is not PAID afterwards, it was cancelled first (its timeout beat the payment: the late-payment
 *    race) or the charge does not match: the money goes back through the provider and the payment is REFUNDED. The
 *    order's unit stays with whoever holds it now; a PAID order is never cancelled, a cancelled one never paid.
 * 3. declined: PENDING → FAILED, which frees the slot so the shopper may try again.
 */
/** A payment after a settlement step, and whether this call changed it (false: a repeat, or another call won). */
export interface Settled {
  payment: PaymentRow;
  changed: boolean;
}

@Injectable()
export class SettlementService {
  private readonly logger = new Logger('settlement');

  constructor(
    private readonly payments: PaymentRepository,
    private readonly orders: OrderRepository,
    private readonly provider: PaymentProvider,
    private readonly metrics: PaymentsMetrics,
  ) {}

  /**
   * A charge of this payment succeeded for `amountCents`.
   * @returns the payment afterwards (SUCCEEDED, or REFUNDED)
   * @throws ProviderUnavailableError when a refund is due and the provider cannot take it now (retry later)
   */
  async succeeded(payment: PaymentRow, chargeId: string, amountCents: number): Promise<Settled> {
    const now = new Date();
    const marked = payment.status === 'PENDING' && (await this.payments.markSucceeded(payment.id, chargeId, now));
    const current = await this.reload(payment);
    if (current.status !== 'SUCCEEDED') return { payment: current, changed: marked }; // FAILED or REFUNDED already
    const chargeMatches = amountCents === current.amountCents && chargeId === current.providerChargeId;
    if (chargeMatches) {
      await this.orders.transition(current.orderId, 'PAID', now);
      const order = await this.orders.findById(current.orderId);
      if (order?.status === 'PAID') return { payment: current, changed: marked };
      this.logger.warn(`payment ${current.id}: its charge succeeded after order ${current.orderId} was ${order?.status ?? 'lost'}; refunding`);
      return this.refund(current, chargeId, 'late');
    }
    this.logger.error(`payment ${current.id}: charge ${chargeId} of ${amountCents} does not match (${current.providerChargeId}, ${current.amountCents}); refunding`);
    return this.refund(current, chargeId, 'mismatch');
  }

  /** The provider declined this payment's charge. */
  async declined(payment: PaymentRow, chargeId: string): Promise<Settled> {
    const changed = payment.status === 'PENDING' && (await this.payments.markFailed(payment.id, chargeId));
    return { payment: await this.reload(payment), changed };
  }

  /** The provider reports this payment's charge refunded (our refund, usually; its answer may not have come back). */
  async refunded(payment: PaymentRow, chargeId: string, refundId: string | null, at: Date): Promise<Settled> {
    const changed =
      refundId !== null &&
      (payment.status === 'SUCCEEDED' || payment.status === 'PENDING') &&
      (await this.payments.markRefunded(payment.id, chargeId, refundId, at));
    return { payment: await this.reload(payment), changed };
  }

  private async refund(payment: PaymentRow, chargeId: string, reason: 'late' | 'mismatch'): Promise<Settled> {
    const refund = await this.provider.refund(chargeId, refundKey(payment.id));
    const changed = await this.payments.markRefunded(payment.id, chargeId, refund.refundId, new Date());
    if (changed) {
      this.metrics.refunds.inc({ reason });
      this.logger.log(`payment ${payment.id} REFUNDED (${refund.refundId})`);
    }
    return { payment: await this.reload(payment), changed };
  }

  private async reload(payment: PaymentRow): Promise<PaymentRow> {
    return (await this.payments.findById(payment.id)) ?? payment;
  }
}
