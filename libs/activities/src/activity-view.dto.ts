import { ApiProperty } from '@nestjs/swagger';
import { ActivityStatus, ActivityView } from '@seckill/contracts';

/** An activity's waiting-room settings, as the API shows them. */
export class WaitingRoomView {
  @ApiProperty({ example: false }) enabled!: boolean;
  @ApiProperty({ description: 'shoppers admitted per second while it is on', example: 0 }) admitPerSecond!: number;
}

/** The API's `activity` (seckill's catalog and admin's activities), as an OpenAPI schema. */
export class ActivityViewDto implements ActivityView {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'Mechanical keyboard' }) title!: string;
  @ApiProperty({ example: '500 units at a third of the price' }) description!: string;
  @ApiProperty({ description: 'integer cents', example: 4900 }) priceCents!: number;
  @ApiProperty({ description: 'integer cents', type: Number, nullable: true, example: 14900 }) originalPriceCents!: number | null;
  @ApiProperty({ example: 500 }) stock!: number;
  @ApiProperty({ description: 'units not reserved yet', example: 137 }) remaining!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T12:00:00.000Z' }) startAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-29T12:00:00.000Z' }) endAt!: string;
  @ApiProperty({ enum: ['UPCOMING', 'ACTIVE', 'SOLD_OUT', 'ENDED'], example: 'ACTIVE' }) status!: ActivityStatus;
  @ApiProperty({ type: WaitingRoomView }) waitingRoom!: WaitingRoomView;
  @ApiProperty({ description: "tokens open for each shopper at startAt plus an offset in [0, staggerSeconds)", example: 0 })
  staggerSeconds!: number;
  @ApiProperty({ description: 'distinct shoppers that may hold purchase tokens (0 = no cap)', example: 0 }) maxParticipants!: number;
  @ApiProperty({ description: 'proof-of-work on the token endpoint, in hash attempts at most (0 = none)', example: 0 })
  challengeDifficulty!: number;
}

/** The answer of the stock reads and of prewarm. */
export class RemainingView {
  @ApiProperty({ description: 'units not reserved yet', example: 137 }) remaining!: number;
}
