import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ORDER_ID_PATTERN } from '@seckill/order-store';

export class OrderIdParams {
  @ApiProperty({ description: 'decimal string', example: '7394883617283457025' })
  @Matches(ORDER_ID_PATTERN, { message: 'id must be a decimal order id' })
  id!: string;
}

export class ListOrdersQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional() @Matches(ORDER_ID_PATTERN, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}
