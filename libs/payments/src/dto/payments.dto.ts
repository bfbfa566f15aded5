import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ChargeStatus, ProviderEvent, ProviderEventType } from '@seckill/contracts';
import { ORDER_ID_PATTERN } from '@seckill/order-store';

/** A payment id as a decimal string (a signed 64-bit AUTO_INCREMENT). */
export const PAYMENT_ID_PATTERN = /^[1-9][0-9]{0,18}$/;

/** A client's Idempotency-Key: what Stripe and most providers accept. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

export class CreatePaymentDto {
  @ApiProperty({ description: 'the order to pay (decimal string); the amount comes from the order' })
  @IsString() @Matches(ORDER_ID_PATTERN, { message: 'orderId must be a decimal order id' })
  orderId!: string;
}

export class PaymentIdParams {
  @ApiProperty({ description: 'decimal string' })
  @Matches(PAYMENT_ID_PATTERN, { message: 'id must be a decimal payment id' })
  id!: string;
}

export class PaymentDto {
  @ApiProperty() id!: string;
  @ApiProperty() orderId!: string;
  @ApiProperty({ description: 'integer cents, from the order' }) amountCents!: number;
  @ApiProperty({ enum: ['PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED'] }) status!: string;
}

/** A provider notification, checked only once its signature is (a stranger's body is never looked at). */
export class ProviderEventDto implements ProviderEvent {
  @IsString() @MaxLength(64) eventId!: string;
  @IsIn(['charge.succeeded', 'charge.declined', 'charge.refunded']) type!: ProviderEventType;
  @IsString() @MaxLength(64) chargeId!: string;
  @Matches(PAYMENT_ID_PATTERN, { message: 'merchantRef must be a payment id' }) merchantRef!: string;
  @IsInt() @Min(0) @Max(1_000_000_000) amountCents!: number;
  @IsIn(['SUCCEEDED', 'DECLINED', 'REFUNDED']) status!: ChargeStatus;
  @IsOptional() @IsString() @MaxLength(64) refundId!: string | null;
  @IsString() @MaxLength(40) occurredAt!: string;
}
