import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_ID_PATTERN } from '@seckill/order-store';
import { Type } from 'class-transformer';
import { IsDate, IsDefined, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

const MAX_STOCK = 10_000_000;

export class CreateActivityDto {
  @ApiProperty({ example: 'Phone X, 50% off' })
  @IsString() @MinLength(1) @MaxLength(200)
  title!: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(5000)
  description?: string;

  @ApiProperty({ description: 'integer cents', example: 49900 })
  @IsInt() @Min(0) @Max(1_000_000_000)
  priceCents!: number;

  @ApiPropertyOptional({ description: 'integer cents' })
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000)
  originalPriceCents?: number;

  @ApiProperty({ example: 500 })
  @IsInt() @Min(1) @Max(MAX_STOCK)
  stock!: number;

  @ApiPropertyOptional({ description: 'Redis keys to split the stock over (1-64)', default: 1 })
  @IsOptional() @IsInt() @Min(1) @Max(64)
  stockShards?: number;

  @ApiProperty({ example: '2026-11-22T12:00:00.000Z' })
  @Type(() => Date) @IsDate({ message: 'startAt must be an ISO-8601 date' })
  startAt!: Date;

  @ApiProperty({ example: '2026-11-22T13:00:00.000Z' })
  @Type(() => Date) @IsDate({ message: 'endAt must be an ISO-8601 date' })
  endAt!: Date;

  @ApiPropertyOptional({ minimum: 1, maximum: 86400, default: 900 })
  @IsOptional() @IsInt() @Min(1) @Max(86400)
  paymentTimeoutSeconds?: number;
}

export class UpdateActivityDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200)
  title?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(5000)
  description?: string;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000)
  priceCents?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000)
  originalPriceCents?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(MAX_STOCK)
  stock?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(64)
  stockShards?: number;

  @ApiPropertyOptional() @IsOptional() @Type(() => Date) @IsDate({ message: 'startAt must be an ISO-8601 date' })
  startAt?: Date;

  @ApiPropertyOptional() @IsOptional() @Type(() => Date) @IsDate({ message: 'endAt must be an ISO-8601 date' })
  endAt?: Date;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(86400)
  paymentTimeoutSeconds?: number;
}

export class ActivityIdParam {
  @ApiProperty()
  @Type(() => Number) @IsInt({ message: 'id must be a positive integer' }) @Min(1) @Max(2147483647)
  id!: number;
}

export class SwitchNameParam {
  @ApiProperty()
  @IsString() @MaxLength(64)
  name!: string;
}

export class SwitchValueDto {
  @ApiProperty({ description: 'boolean, integer or one of the listed names, by switch' })
  // Typed by the switch itself (SwitchesService.set validates it); only its presence is checked here.
  @IsDefined({ message: 'value is required' })
  value!: unknown;
}

export class ReconciliationQuery {
  @ApiProperty()
  @Type(() => Number) @IsInt({ message: 'activityId must be a positive integer' }) @Min(1) @Max(2147483647)
  activityId!: number;
}

export class AdminOrdersQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @Matches(ORDER_ID_PATTERN, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @ApiPropertyOptional()
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(2147483647)
  activityId?: number;
}
