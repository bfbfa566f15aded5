import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ReservationResult, ReservationStatus } from '@seckill/contracts';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** The longest purchase token the endpoint takes (the fast path checks it too: see purchaseTokenOf). */
export const PURCHASE_TOKEN_MAX_LENGTH = 200;

export class PurchaseDto {
  @ApiProperty({ description: 'The purchase token from POST /api/activities/:id/token', example: 'MTo0Mjox…' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PURCHASE_TOKEN_MAX_LENGTH)
  token!: string;
}

export class PurchaseTokenResponse {
  @ApiProperty({ description: 'send it as the purchase body; bound to the caller and the activity', example: 'MTo0Mjox…' }) token!: string;
  @ApiProperty({ description: 'seconds', example: 60 }) expiresIn!: number;
}

export class PurchaseAccepted {
  @ApiProperty({ example: 'r-1-184467440737095516' }) reservationId!: string;
  @ApiProperty({ enum: ['QUEUED'], example: 'QUEUED' }) status!: 'QUEUED';
}

/** What GET /api/activities/:id/result reports about the caller's reservation. */
export class ReservationResultDto implements ReservationResult {
  @ApiProperty({
    enum: ['NONE', 'QUEUED', 'CREATED', 'CANCELLED', 'FAILED'],
    description: 'NONE: never reserved; CREATED and CANCELLED carry orderId',
    example: 'CREATED',
  })
  status!: ReservationStatus;
  @ApiPropertyOptional({ example: 'r-1-184467440737095516' }) reservationId?: string;
  @ApiPropertyOptional({ example: '7394883617283457025' }) orderId?: string;
}
