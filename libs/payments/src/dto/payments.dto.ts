import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ChargeStatus, ProviderEvent, ProviderEventType } from '@seckill/contracts';
import { ORDER_ID_PATTERN } from '@seckill/order-store';

/** A payment id as a decimal string (a signed 64-bit AUTO_INCREMENT). */
export const PAYMENT_ID_PATTERN = /^[1-9][0-9]{0,18}$/;

/** A client's Idempotency-Key: what Stripe and most providers accept. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

export class CreatePaymentDto {
  @ApiProperty({ description: 'the order to pay (decimal string); the amount comes from the order', example: '7394883617283457025' })
  @IsString() @Matches(ORDER_ID_PATTERN, { message: 'orderId must be a decimal order id' })
  orderId!: string;
}

export class PaymentIdParams {
  @ApiProperty({ description: 'decimal string', example: '1001' })
  @Matches(PAYMENT_ID_PATTERN, { message: 'id must be a decimal payment id' })
  id!: string;
}

export class PaymentDto {
  @ApiProperty({ description: 'decimal string', example: '1001' }) id!: string;
  @ApiProperty({ description: 'decimal string', example: '7394883617283457025' }) orderId!: string;
  @ApiProperty({ description: 'integer cents, from the order', example: 4900 }) amountCents!: number;
  @ApiProperty({ enum: ['PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED'], example: 'SUCCEEDED' }) status!: string;
}

/** A provider notification, checked only once its signature is (a stranger's body is never looked at). */
export class ProviderEventDto implements ProviderEvent {
  @ApiProperty({ maxLength: 64, description: 'the same event delivered twice counts once', example: 'evt_7f3a' })
  @IsString() @MaxLength(64) eventId!: string;
  @ApiProperty({ enum: ['charge.succeeded', 'charge.declined', 'charge.refunded'], example: 'charge.succeeded' })
  @IsIn(['charge.succeeded', 'charge.declined', 'charge.refunded']) type!: ProviderEventType;
  @ApiProperty({ maxLength: 64, example: 'ch_91c2' })
  @IsString() @MaxLength(64) chargeId!: string;
  @ApiProperty({ description: 'the payment id the charge was made for', example: '1001' })
  @Matches(PAYMENT_ID_PATTERN, { message: 'merchantRef must be a payment id' }) merchantRef!: string;
  @ApiProperty({ minimum: 0, maximum: 1_000_000_000, example: 4900 })
  @IsInt() @Min(0) @Max(1_000_000_000) amountCents!: number;
  @ApiProperty({ enum: ['SUCCEEDED', 'DECLINED', 'REFUNDED'], example: 'SUCCEEDED' })
  @IsIn(['SUCCEEDED', 'DECLINED', 'REFUNDED']) status!: ChargeStatus;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 64, example: null })
  @IsOptional() @IsString() @MaxLength(64) refundId!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T12:00:03.000Z' })
  @IsString() @MaxLength(40) occurredAt!: string;
}

/** The answer to a provider notification. */
export class CallbackAnswerDto {
  @ApiProperty({ enum: [true], example: true }) received!: true;
  @ApiProperty({ description: "the payment's status after the notification", example: 'SUCCEEDED' }) status!: string;
}
