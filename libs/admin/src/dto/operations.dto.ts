import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class PlanNameParam {
  @ApiProperty({ example: 'level1' })
  @IsString() @MaxLength(32)
  name!: string;
}

export class AuditQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @Matches(/^[1-9][0-9]{0,18}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

export class JobParams {
  @ApiProperty({ example: 'order-create' })
  @IsString() @MaxLength(64)
  queue!: string;

  @ApiProperty({ description: 'the job id, as GET /api/admin/queues lists it' })
  @IsString() @MaxLength(200)
  id!: string;
}
