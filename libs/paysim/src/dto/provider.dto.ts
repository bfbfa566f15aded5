import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDate, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  ChargeAnswer,
  ChargeRequest,
  ChargeStatus,
  LedgerEntry,
  LedgerPage,
  ProviderFaults,
  ProviderRequestRecord,
  RefundAnswer,
  RefundRequest,
} from '@seckill/contracts';

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_DELAY_MS = 120_000;

export class ChargeDto implements ChargeRequest {
  @ApiProperty({ description: "the merchant's reference (its payment id)", example: '1001' })
  @IsString() @Matches(KEY, { message: 'merchantRef must be 1-128 of [A-Za-z0-9_.:-]' })
  merchantRef!: string;

  @ApiProperty({ description: 'integer cents, > 0', example: 4900 })
  @IsInt() @Min(1) @Max(1_000_000_000)
  amountCents!: number;

  @ApiProperty({ description: 'one charge per key, whatever the number of requests', example: 'payment-1001' })
  @IsString() @Matches(KEY, { message: 'idempotencyKey must be 1-128 of [A-Za-z0-9_.:-]' })
  idempotencyKey!: string;
}

export class RefundDto implements RefundRequest {
  @ApiProperty({ example: 'ch_91c2' })
  @IsString() @MaxLength(64)
  chargeId!: string;

  @ApiProperty({ description: 'one refund per key', example: 'refund-1001' })
  @IsString() @Matches(KEY, { message: 'idempotencyKey must be 1-128 of [A-Za-z0-9_.:-]' })
  idempotencyKey!: string;
}

export class LedgerQuery {
  @ApiPropertyOptional({ description: 'ISO-8601: charges made at or after this instant (default: all)' })
  @IsOptional() @Type(() => Date) @IsDate({ message: 'since must be an ISO-8601 date' })
  since?: Date;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 10000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000)
  limit?: number;
}

export class RequestsQuery {
  @ApiPropertyOptional({ description: 'ms since epoch: requests that arrived at or after it' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  since?: number;
}

const rate = () => [IsOptional(), IsNumber({}, { message: 'must be a number from 0 to 1' }), Min(0), Max(1)];
const delay = () => [IsOptional(), IsInt(), Min(0), Max(MAX_DELAY_MS)];
function apply(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorator) => decorator(target, key));
}

/** PUT /provider/faults: every field optional, a missing one reset to its default (see ProviderFaults). */
export class FaultsDto implements Partial<ProviderFaults> {
  @ApiPropertyOptional({ description: 'delay of every answer (ms)' }) @apply(delay()) latencyMs?: number;
  @ApiPropertyOptional({ description: 'share (0-1) answered 500' }) @apply(rate()) failureRate?: number;
  @ApiPropertyOptional({ description: 'answer 503 to everything' }) @IsOptional() @IsBoolean() down?: boolean;
  @ApiPropertyOptional({ description: 'share (0-1) delayed by slowLatencyMs more' }) @apply(rate()) slowRate?: number;
  @ApiPropertyOptional() @apply(delay()) slowLatencyMs?: number;
  @ApiPropertyOptional({ description: 'share (0-1) of charges declined' }) @apply(rate()) declineRate?: number;
  @ApiPropertyOptional({ description: 'share (0-1) of notifications sent twice' }) @apply(rate()) duplicateRate?: number;
  @ApiPropertyOptional() @apply(delay()) duplicateDelayMs?: number;
  @ApiPropertyOptional({ description: '> 0: notifications of this window delivered newest first' }) @apply(delay()) reorderWindowMs?: number;
  @ApiPropertyOptional() @apply(delay()) callbackDelayMs?: number;
}

/** The answer to a charge: a business outcome (DECLINED is a 200 too). */
export class ChargeAnswerDto implements ChargeAnswer {
  @ApiProperty({ example: 'ch_91c2' }) chargeId!: string;
  @ApiProperty({ example: '1001' }) merchantRef!: string;
  @ApiProperty({ example: 4900 }) amountCents!: number;
  @ApiProperty({ enum: ['SUCCEEDED', 'DECLINED', 'REFUNDED'], example: 'SUCCEEDED' }) status!: ChargeStatus;
}

export class RefundAnswerDto implements RefundAnswer {
  @ApiProperty({ example: 're_5b10' }) refundId!: string;
  @ApiProperty({ example: 'ch_91c2' }) chargeId!: string;
  @ApiProperty({ example: 4900 }) amountCents!: number;
  @ApiProperty({ enum: ['SUCCEEDED'], example: 'SUCCEEDED' }) status!: 'SUCCEEDED';
}

export class LedgerEntryDto implements LedgerEntry {
  @ApiProperty({ example: 'ch_91c2' }) chargeId!: string;
  @ApiProperty({ example: '1001' }) merchantRef!: string;
  @ApiProperty({ example: 'payment-1001' }) idempotencyKey!: string;
  @ApiProperty({ example: 4900 }) amountCents!: number;
  @ApiProperty({ enum: ['SUCCEEDED', 'DECLINED', 'REFUNDED'], example: 'SUCCEEDED' }) status!: ChargeStatus;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T12:00:03.000Z' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) refundId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null }) refundedAt!: string | null;
}

/** The charges made since then, oldest first. */
export class LedgerPageDto implements LedgerPage {
  @ApiProperty({ type: [LedgerEntryDto] }) items!: LedgerEntryDto[];
  @ApiProperty({ description: 'more charges matched than one answer holds (see limit)', example: false }) truncated!: boolean;
}

export class ProviderRequestRecordDto implements ProviderRequestRecord {
  @ApiProperty({ description: 'arrival, ms since epoch', example: 1795867203000 }) at!: number;
  @ApiProperty({ example: 'POST' }) method!: string;
  @ApiProperty({ example: '/provider/charges' }) path!: string;
}

export class ProviderRequestsDto {
  @ApiProperty({ type: [ProviderRequestRecordDto] }) items!: ProviderRequestRecordDto[];
}
