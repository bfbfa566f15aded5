import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORDER_ID_PATTERN } from '@seckill/order-store';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDate,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const MAX_STOCK = 10_000_000;

/**
 * Times are ISO-8601 strings: a string becomes a Date (IsDate then refuses one that is not a time), anything else
 * stays as it is and is refused. class-transformer's `@Type(() => Date)` would read `true` or a number as a time in
 * 1970 and let it through.
 */
const IsoDate = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? new Date(value) : value));
/**
 * Bounds of the front-door settings. A challenge of 5 million hash attempts is about half a minute of one worker in
 * a desktop Chromium (which did ~150,000 SHA-256 a second in our measurement): far beyond what a sale should ask.
 */
const MAX_ADMIT_PER_SECOND = 100_000;
const MAX_STAGGER_SECONDS = 3600;
const MAX_CHALLENGE_DIFFICULTY = 5_000_000;

export class WaitingRoomDto {
  @ApiProperty({ description: 'shoppers must queue and be admitted before they get a purchase token' })
  @IsBoolean()
  enabled!: boolean;

  @ApiProperty({ description: 'shoppers admitted per second (lowered automatically while the funnel is saturated)', minimum: 1, maximum: MAX_ADMIT_PER_SECOND })
  @IsInt() @Min(1) @Max(MAX_ADMIT_PER_SECOND)
  admitPerSecond!: number;
}

/**
 * The front door's settings, each off by default; unlike the sale's terms they may change at any time (an operator
 * slowing the waiting room down mid-sale is the point of having one).
 */
export class FrontDoorDto {
  @ApiPropertyOptional({ type: WaitingRoomDto })
  // IsObject: ValidateNested alone lets an array through (each element is validated, and [] has none).
  @IsOptional() @IsObject() @ValidateNested() @Type(() => WaitingRoomDto)
  waitingRoom?: WaitingRoomDto;

  @ApiPropertyOptional({ description: 'spread token issuance over the first N seconds, by user (0 = off)', minimum: 0, maximum: MAX_STAGGER_SECONDS })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_STAGGER_SECONDS)
  staggerSeconds?: number;

  @ApiPropertyOptional({ description: 'distinct shoppers that may hold purchase tokens (0 = no cap)', minimum: 0, maximum: MAX_STOCK })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_STOCK)
  maxParticipants?: number;

  @ApiPropertyOptional({ description: 'proof-of-work on the token endpoint, in hash attempts at most (0 = off)', minimum: 0, maximum: MAX_CHALLENGE_DIFFICULTY })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_CHALLENGE_DIFFICULTY)
  challengeDifficulty?: number;
}

export class CreateActivityDto extends FrontDoorDto {
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
  @IsoDate() @IsDate({ message: 'startAt must be an ISO-8601 date' })
  startAt!: Date;

  @ApiProperty({ example: '2026-11-22T13:00:00.000Z' })
  @IsoDate() @IsDate({ message: 'endAt must be an ISO-8601 date' })
  endAt!: Date;

  @ApiPropertyOptional({ minimum: 1, maximum: 86400, default: 900 })
  @IsOptional() @IsInt() @Min(1) @Max(86400)
  paymentTimeoutSeconds?: number;
}

export class UpdateActivityDto extends FrontDoorDto {
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

  @ApiPropertyOptional() @IsOptional() @IsoDate() @IsDate({ message: 'startAt must be an ISO-8601 date' })
  startAt?: Date;

  @ApiPropertyOptional() @IsOptional() @IsoDate() @IsDate({ message: 'endAt must be an ISO-8601 date' })
  endAt?: Date;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(86400)
  paymentTimeoutSeconds?: number;
}

/** An activity id in a path: decimal digits only, so "01", "+1", " 1" or "1e0" name no activity rather than activity 1. */
const ACTIVITY_ID = /^[1-9][0-9]{0,9}$/;

export class ActivityIdParam {
  @ApiProperty()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && ACTIVITY_ID.test(value) ? Number(value) : value))
  @IsInt({ message: 'id must be a positive integer' }) @Min(1) @Max(2147483647)
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
