import type { Payment } from '@seckill/platform';

/** Payment ids are signed 64-bit: a larger decimal is no payment of ours (and must not reach a query). */
export const MAX_PAYMENT_ID = 2n ** 63n - 1n;

export type PaymentState = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

/** The API's `payment`: ids as decimal strings. */
export interface PaymentView {
  id: string;
  orderId: string;
  amountCents: number;
  status: PaymentState;
}

export type PaymentRow = Payment;

export function toPaymentView(row: PaymentRow): PaymentView {
  return { id: String(row.id), orderId: String(row.orderId), amountCents: row.amountCents, status: row.status };
}

/** The provider idempotency key of a payment's charge: one charge per payment, however often it is sent. */
export function chargeKey(paymentId: bigint): string {
  return `pay-${paymentId}`;
}

/** The provider idempotency key of a payment's refund. */
export function refundKey(paymentId: bigint): string {
  return `refund-${paymentId}`;
}
