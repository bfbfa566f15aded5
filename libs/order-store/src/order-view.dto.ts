import { ApiProperty } from '@nestjs/swagger';
import { OrderState, OrderView } from './order-record';

/** The API's `order` (order service and admin), as an OpenAPI schema. */
export class OrderViewDto implements OrderView {
  @ApiProperty({ description: 'decimal string (ids may exceed 2^53)', example: '7394883617283457025' }) id!: string;
  @ApiProperty({ example: 1 }) activityId!: number;
  @ApiProperty({ description: 'decimal string', example: '42' }) userId!: string;
  @ApiProperty({ description: 'integer cents', example: 4900 }) priceCents!: number;
  @ApiProperty({ enum: ['PENDING_PAYMENT', 'PAID', 'CANCELLED'], example: 'PENDING_PAYMENT' }) status!: OrderState;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T12:00:01.250Z' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: 'unpaid by then, it is cancelled and its unit returns', example: '2026-11-28T12:15:01.250Z' })
  expiresAt!: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, example: null }) paidAt!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, example: null }) cancelledAt!: string | null;
}

/** A page of orders, newest first. */
export class OrderPageDto {
  @ApiProperty({ type: [OrderViewDto] }) items!: OrderViewDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page; null on the last', example: null })
  nextCursor!: string | null;
}
