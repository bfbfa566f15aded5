import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { MAX_ORDER_ID, OrderRepository } from '@seckill/order-store';
import {
  ChargeDeclinedError,
  chargeKey,
  MAX_PAYMENT_ID,
  PaymentProvider,
  PaymentRepository,
  PaymentRow,
  PaymentView,
  ProviderUnavailableError,
  toPaymentView,
} from '@seckill/payment-store';
import { AppConfig, DomainError, Principal } from '@seckill/platform';
import { IDEMPOTENCY_KEY_PATTERN } from './dto/payments.dto';
import { PaymentsMetrics } from './payments.metrics';
import { SettlementService } from './settlement.service';

/** The answer of POST /api/payments: the payment, and whether this request created it (201) or found it (200). */
export interface PayResult {
  payment: PaymentView;
  created: boolean;
}

/**
 * Paying an order: one open payment per order (a unique key in MySQL, so racing requests on any instance find the
 * same one), the amount taken from the order, the charge made through the adapter by one request at a time (a
 * lease on the row) with the payment's own idempotency key at the provider, so that retrying after an unknown
 * outcome (a timeout, a 5xx) can never charge twice.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger('payments');

  constructor(
    private readonly payments: PaymentRepository,
    private readonly orders: OrderRepository,
    private readonly provider: PaymentProvider,
    private readonly settlement: SettlementService,
    private readonly metrics: PaymentsMetrics,
    private readonly config: AppConfig,
  ) {}

  /**
   * @throws DomainError VALIDATION_FAILED (bad or reused Idempotency-Key), NOT_FOUND (not the caller's order),
   *   ORDER_NOT_PAYABLE (paid, cancelled or expired), PAYMENT_UNAVAILABLE (breaker open, provider failing)
   */
  async pay(principal: Principal, orderIdText: string, idempotencyKey: unknown): Promise<PayResult> {
    const key = parseKey(idempotencyKey);
    const userId = BigInt(principal.userId);
    const orderId = BigInt(orderIdText);
    if (key !== undefined) {
      // A replayed key answers the payment it made, whatever happened to the order since.
      const replay = await this.payments.findByKey(userId, key);
      if (replay) {
        if (replay.orderId !== orderId) {
          throw new DomainError('VALIDATION_FAILED', 'this Idempotency-Key was used for another order', {
            details: [{ field: 'Idempotency-Key', problems: ['already used for another order'] }],
          });
        }
        return this.replayed(replay);
      }
    }
    const order = orderId > MAX_ORDER_ID ? null : await this.orders.findById(orderId);
    if (!order || order.user_id !== userId) throw new DomainError('NOT_FOUND', `no order ${orderIdText}`);
    const open = await this.payments.findOpen(orderId);
    if (open) return this.replayed(open);
    if (order.status !== 'PENDING_PAYMENT' || order.expires_at.getTime() <= Date.now()) {
      const state = order.status === 'PENDING_PAYMENT' ? 'expired' : order.status;
      throw new DomainError('ORDER_NOT_PAYABLE', `the order is ${state}, not awaiting payment`);
    }
    const created = await this.payments.create({
      orderId,
      activityId: order.activity_id,
      userId,
      amountCents: order.price_cents,
      idempotencyKey: key ?? `auto-${randomUUID()}`,
    });
    if (!created) {
      // Another request took the order's open slot (or this key) first: answer with its payment.
      const winner = (key !== undefined ? await this.payments.findByKey(userId, key) : null) ?? (await this.payments.findOpen(orderId));
      if (!winner) throw new DomainError('PAYMENT_UNAVAILABLE', 'the order is being paid by another request; retry', { retryAfterSeconds: 1 });
      return this.replayed(winner);
    }
    this.metrics.attempts.inc({ outcome: 'created' });
    return { payment: toPaymentView(await this.charge(created)), created: true };
  }

  /** @throws DomainError NOT_FOUND unless the payment exists and is the caller's */
  async get(principal: Principal, paymentId: string): Promise<PaymentView> {
    const id = BigInt(paymentId);
    const payment = id > MAX_PAYMENT_ID ? null : await this.payments.findById(id);
    if (!payment || String(payment.userId) !== principal.userId) throw new DomainError('NOT_FOUND', `no payment ${paymentId}`);
    return toPaymentView(payment);
  }

  /**
   * A payment found again: a PENDING one whose charge's outcome is unknown is charged again (same provider key, so
   * at most one charge), unless its order can no longer be paid: then an earlier charge, if there was one, is
   * settled (refunded) by its notification, and no new one is started.
   */
  private async replayed(payment: PaymentRow): Promise<PayResult> {
    this.metrics.attempts.inc({ outcome: 'replayed' });
    if (payment.status !== 'PENDING') return { payment: toPaymentView(payment), created: false };
    const order = await this.orders.findById(payment.orderId);
    const payable = order?.status === 'PENDING_PAYMENT' && order.expires_at.getTime() > Date.now();
    return { payment: toPaymentView(payable ? await this.charge(payment) : payment), created: false };
  }

  /**
   * Charges a PENDING payment through the adapter, unless another request is doing so right now (then the payment
   * is answered as it stands). A declined card fails the payment; an unknown outcome leaves it PENDING for the
   * notification or the next attempt to settle.
   */
  private async charge(payment: PaymentRow): Promise<PaymentRow> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.config.PAYMENT_PROVIDER_TIMEOUT_MS + 1000);
    if (!(await this.payments.takeChargeLease(payment.id, now, leaseUntil))) return (await this.payments.findById(payment.id)) ?? payment;
    try {
      const charge = await this.provider.charge({
        merchantRef: String(payment.id),
        amountCents: payment.amountCents,
        idempotencyKey: chargeKey(payment.id),
      });
      const { payment: settled } =
        charge.status === 'REFUNDED'
          ? await this.settlement.refunded(payment, charge.chargeId, null, now)
          : await this.settlement.succeeded(payment, charge.chargeId, charge.amountCents);
      this.metrics.attempts.inc({ outcome: settled.status === 'SUCCEEDED' ? 'succeeded' : settled.status.toLowerCase() });
      return settled;
    } catch (error) {
      if (error instanceof ChargeDeclinedError) {
        this.metrics.attempts.inc({ outcome: 'declined' });
        return (await this.settlement.declined(payment, error.charge.chargeId)).payment;
      }
      await this.payments.releaseChargeLease(payment.id).catch(() => undefined);
      if (error instanceof ProviderUnavailableError) {
        this.metrics.attempts.inc({ outcome: 'unavailable' });
        throw new DomainError('PAYMENT_UNAVAILABLE', `the payment provider is unavailable (${error.reason}); the order stays payable until it expires`, {
          retryAfterSeconds: error.retryAfterSeconds,
          cause: error,
        });
      }
      this.logger.error(`payment ${payment.id}: ${(error as Error).message}`);
      throw error;
    }
  }
}

function parseKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value)) return value;
  const problem = 'Idempotency-Key must be 1-100 of [A-Za-z0-9_.:-]';
  throw new DomainError('VALIDATION_FAILED', problem, { details: [{ field: 'Idempotency-Key', problems: [problem] }] });
}
