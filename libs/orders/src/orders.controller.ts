import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { OrderView } from '@seckill/order-store';
import { CurrentUser, JwtAuthGuard, Principal } from '@seckill/platform';
import { ListOrdersQuery, OrderIdParams } from './dto/orders.dto';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('api/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  list(@CurrentUser() user: Principal, @Query() query: ListOrdersQuery): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    return this.orders.list(user, query.limit, query.cursor);
  }

  @Get(':id')
  get(@CurrentUser() user: Principal, @Param() params: OrderIdParams): Promise<OrderView> {
    return this.orders.get(user, params.id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentUser() user: Principal, @Param() params: OrderIdParams): Promise<OrderView> {
    return this.orders.cancel(user, params.id);
  }
}
