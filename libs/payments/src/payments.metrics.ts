import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '@seckill/platform';

/** The payment service's own counters (the breaker's are BreakerMonitor's). */
@Injectable()
export class PaymentsMetrics {
  /** Pay attempts by outcome: created, replayed, succeeded, declined, unavailable, refunded. */
  readonly attempts: Counter<'outcome'>;
  /** Provider notifications by type and outcome (applied, duplicate, bad_signature, invalid, unknown, retry_later). */
  readonly callbacks: Counter<'type' | 'outcome'>;
  /** Refunds by reason (late: the order was cancelled first; mismatch: the charge did not match the payment). */
  readonly refunds: Counter<'reason'>;

  constructor(metrics: MetricsService) {
    this.attempts = metrics.counter('payment_attempts_total', 'POST /api/payments by outcome', ['outcome']);
    this.callbacks = metrics.counter('payment_callbacks_total', 'Provider notifications by type and outcome', ['type', 'outcome']);
    this.refunds = metrics.counter('payment_refunds_total', 'Charges refunded through the provider, by reason', ['reason']);
  }
}
