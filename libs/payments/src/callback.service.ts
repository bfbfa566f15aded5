import { Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { MAX_PAYMENT_ID, PaymentRepository, ProviderUnavailableError, verifyWebhook } from '@seckill/payment-store';
import { AppConfig, DomainError } from '@seckill/platform';
import { ProviderEventDto } from './dto/payments.dto';
import { PaymentsMetrics } from './payments.metrics';
import { SettlementService } from './settlement.service';

/**
 * The provider's notifications. The signature is checked first, over the raw bytes and in constant time; nothing of
 * an unsigned body is read. A notification is applied through SettlementService, whose steps are all conditional,
 * so a duplicate or an out-of-order one has the effect of once. 2xx acknowledges; a refund the provider cannot take
 * now answers 503, so that the provider's retry drives the refund again.
 */
@Injectable()
export class CallbackService {
  private readonly logger = new Logger('payment-callbacks');

  constructor(
    private readonly config: AppConfig,
    private readonly payments: PaymentRepository,
    private readonly settlement: SettlementService,
    private readonly metrics: PaymentsMetrics,
  ) {}

  /**
   * @throws DomainError UNAUTHENTICATED (bad signature), VALIDATION_FAILED (malformed notification), NOT_FOUND
   *   (not one of our payments), PAYMENT_UNAVAILABLE (a due refund cannot reach the provider now)
   */
  async handle(rawBody: Buffer | undefined, signature: unknown): Promise<{ received: true; status: string }> {
    if (!rawBody || !verifyWebhook(this.config.PAYMENT_WEBHOOK_SECRET, rawBody, signature)) {
      this.metrics.callbacks.inc({ type: 'unknown', outcome: 'bad_signature' });
      throw new DomainError('UNAUTHENTICATED', 'the notification signature (X-Signature) is missing or wrong');
    }
    const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.metrics.callbacks.inc({ type: 'unknown', outcome: 'invalid' });
      throw new DomainError('VALIDATION_FAILED', 'a notification is a JSON object');
    }
    const event = plainToInstance(ProviderEventDto, parsed);
    const errors = validateSync(event);
    if (errors.length > 0) {
      this.metrics.callbacks.inc({ type: 'unknown', outcome: 'invalid' });
      const details = errors.map((error) => ({ field: error.property, problems: Object.values(error.constraints ?? {}) }));
      throw new DomainError('VALIDATION_FAILED', `malformed notification: ${details.map((d) => d.field).join(', ')}`, { details });
    }
    const paymentId = BigInt(event.merchantRef);
    const payment = paymentId > MAX_PAYMENT_ID ? null : await this.payments.findById(paymentId);
    if (!payment) {
      this.metrics.callbacks.inc({ type: event.type, outcome: 'unknown' });
      this.logger.warn(`notification ${event.eventId} for unknown payment ${event.merchantRef}`);
      throw new DomainError('NOT_FOUND', `no payment ${event.merchantRef}`);
    }
    try {
      const settled =
        event.type === 'charge.succeeded'
          ? await this.settlement.succeeded(payment, event.chargeId, event.amountCents)
          : event.type === 'charge.declined'
            ? await this.settlement.declined(payment, event.chargeId)
            : await this.settlement.refunded(payment, event.chargeId, event.refundId, new Date(event.occurredAt));
      this.metrics.callbacks.inc({ type: event.type, outcome: settled.changed ? 'applied' : 'duplicate' });
      return { received: true, status: settled.payment.status };
    } catch (error) {
      if (error instanceof ProviderUnavailableError) {
        this.metrics.callbacks.inc({ type: event.type, outcome: 'retry_later' });
        throw new DomainError('PAYMENT_UNAVAILABLE', `cannot settle payment ${payment.id} now: ${error.message}`, {
          retryAfterSeconds: error.retryAfterSeconds,
          cause: error,
        });
      }
      throw error;
    }
  }
}
