import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class PurchaseDto {
  @ApiProperty({ description: 'The purchase token from POST /api/activities/:id/token' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token!: string;
}

export class PurchaseTokenResponse {
  @ApiProperty() token!: string;
  @ApiProperty({ description: 'seconds' }) expiresIn!: number;
}

export class PurchaseAccepted {
  @ApiProperty() reservationId!: string;
  @ApiProperty({ enum: ['QUEUED'] }) status!: 'QUEUED';
}
