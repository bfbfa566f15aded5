import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';

export class ActivityIdParams {
  @ApiProperty({ example: 1 })
  @Type(() => Number)
  @IsInt({ message: 'id must be a positive integer' })
  @Min(1, { message: 'id must be a positive integer' })
  @Max(2147483647, { message: 'id is too large' })
  id!: number;
}

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
