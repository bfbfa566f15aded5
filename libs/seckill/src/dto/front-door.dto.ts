import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

/** ALTCHA's solution, as its solver returns it. */
export class ChallengeSolutionDto {
  @ApiProperty({ description: 'the counter that solves the challenge', example: 31337 })
  @IsInt() @Min(0) @Max(0xffffffff)
  counter!: number;

  @ApiProperty({ description: 'the key derived for that counter, lowercase hex', example: '9f86d081884c7d65' })
  @IsString() @Matches(/^(?:[0-9a-f]{2}){1,64}$/, { message: 'derivedKey must be lowercase hex' })
  derivedKey!: string;

  @ApiPropertyOptional({ description: 'ms the solver took (ignored)' })
  @IsOptional() @IsNumber()
  time?: number;
}

/** The body of POST /api/activities/:id/token: empty, or the solved challenge of an activity that requires one. */
export class TokenRequestDto {
  @ApiPropertyOptional({ description: 'the challenge from GET /api/activities/:id/challenge, as received' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(4096)
  challenge?: string;

  @ApiPropertyOptional({ type: ChallengeSolutionDto })
  // IsObject: ValidateNested alone lets an array through (each element is validated, and [] has none).
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ChallengeSolutionDto)
  solution?: ChallengeSolutionDto;
}

export class QueuePlaceView {
  @ApiProperty({ description: 'your place in the waiting room (1 = first; 0 = none: the room closed before you joined)', example: 7 })
  position!: number;
  @ApiProperty({ description: 'shoppers up to this position are admitted', example: 4 })
  servingPosition!: number;
  @ApiProperty({ description: 'seconds until your admission at the rate the room runs at now (0 once admitted)', example: 2 })
  estimatedWaitSeconds!: number;
  @ApiProperty({ enum: ['WAITING', 'ADMITTED', 'EXPIRED', 'CLOSED'], example: 'WAITING' })
  status!: 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'CLOSED';
}

export class ChallengeView {
  @ApiProperty({ description: 'opaque (an ALTCHA challenge as base64url JSON); send it back with its solution', example: 'eyJhbGdvcml0aG0iOi…' })
  challenge!: string;
  @ApiProperty({ description: 'hash attempts at most', example: 50000 })
  difficulty!: number;
  @ApiProperty({ description: 'seconds', example: 120 })
  expiresIn!: number;
}

export class ClientConfigView {
  @ApiProperty({ description: 'share of buy clicks, in percent, a client drops before sending', example: 0 })
  dropPercent!: number;
  @ApiProperty({ description: 'first interval of result polling, ms (back off from there; honour Retry-After)', example: 1000 })
  resultPollMs!: number;
  @ApiProperty({ description: 'at most one buy click per this many ms', example: 1000 })
  clickThrottleMs!: number;
  @ApiProperty({ description: "the server's clock (ms since epoch) when this was answered; add the Age header if any", example: 1795867200000 })
  serverTime!: number;
  @ApiProperty({ description: 'base URL of the auth service for a browser (empty: this origin)', example: '' })
  authUrl!: string;
}
