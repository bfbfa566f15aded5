import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDate, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ChargeRequest, ProviderFaults, RefundRequest } from '@seckill/contracts';

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_DELAY_MS = 120_000;

export class ChargeDto implements ChargeRequest {
  @ApiProperty({ description: "the merchant's reference (its payment id)" })
  @IsString() @Matches(KEY, { message: 'merchantRef must be 1-128 of [A-Za-z0-9_.:-]' })
  merchantRef!: string;

  @ApiProperty({ description: 'integer cents, > 0' })
  @IsInt() @Min(1) @Max(1_000_000_000)
  amountCents!: number;

  @ApiProperty({ description: 'one charge per key, whatever the number of requests' })
  @IsString() @Matches(KEY, { message: 'idempotencyKey must be 1-128 of [A-Za-z0-9_.:-]' })
  idempotencyKey!: string;
}

export class RefundDto implements RefundRequest {
  @ApiProperty()
  @IsString() @MaxLength(64)
  chargeId!: string;

  @ApiProperty()
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
