import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OrderPageDto, OrderView, OrderViewDto } from '@seckill/order-store';
import { ApiErrors, AUTHENTICATED_ERRORS, CurrentUser, JwtAuthGuard, Principal } from '@seckill/platform';
import { ListOrdersQuery, OrderIdParams } from './dto/orders.dto';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('api/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @ApiOperation({ summary: "The caller's own orders, newest first (503 DEGRADED while order queries are switched off)" })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'DEGRADED', 'BUSY')
  list(@CurrentUser() user: Principal, @Query() query: ListOrdersQuery): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    return this.orders.list(user, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: "One of the caller's orders (another shopper's is 404, as if it did not exist)" })
  @ApiOkResponse({ type: OrderViewDto })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'DEGRADED', 'BUSY')
  get(@CurrentUser() user: Principal, @Param() params: OrderIdParams): Promise<OrderView> {
    return this.orders.get(user, params.id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an order awaiting payment; its unit returns to stock and the shopper may buy again' })
  @ApiOkResponse({ type: OrderViewDto, description: 'the order, now CANCELLED' })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'ORDER_NOT_PAYABLE', 'BUSY')
  cancel(@CurrentUser() user: Principal, @Param() params: OrderIdParams): Promise<OrderView> {
    return this.orders.cancel(user, params.id);
  }
}
