import { Injectable } from '@nestjs/common';
import { SwitchesService } from '@seckill/flow-control';
import { MAX_ORDER_ID, OrderRepository, OrderRow, OrderView, toOrderView } from '@seckill/order-store';
import { DomainError, Principal } from '@seckill/platform';
import { OrderCancellationService } from './order-cancellation.service';

const DEFAULT_PAGE = 20;

/** A shopper's own orders: list, read, cancel. Another shopper's order is 404, as if it did not exist. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly cancellation: OrderCancellationService,
    private readonly switches: SwitchesService,
  ) {}

  async list(principal: Principal, limit = DEFAULT_PAGE, cursor?: string): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    this.assertQueriesOn();
    const before = cursor === undefined ? undefined : BigInt(cursor);
    if (before !== undefined && before > MAX_ORDER_ID) {
      throw new DomainError('VALIDATION_FAILED', 'cursor must be the nextCursor of a previous page');
    }
    const rows = await this.orders.listByUser(BigInt(principal.userId), limit + 1, before);
    const page = rows.slice(0, limit);
    return {
      items: page.map(toOrderView),
      nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }

  async get(principal: Principal, orderId: string): Promise<OrderView> {
    this.assertQueriesOn();
    return toOrderView(await this.own(principal, orderId));
  }

  /** 409 ORDER_NOT_PAYABLE unless the order is awaiting payment; its unit goes back to stock. */
  async cancel(principal: Principal, orderId: string): Promise<OrderView> {
    const order = await this.own(principal, orderId);
    if (order.status !== 'PENDING_PAYMENT') throw notPayable(order);
    const after = await this.cancellation.cancel(order.id);
    if (!after || after.status !== 'CANCELLED') throw notPayable(after ?? order);
    return toOrderView(after);
  }

  private async own(principal: Principal, orderId: string): Promise<OrderRow> {
    const id = BigInt(orderId);
    const order = id > MAX_ORDER_ID ? null : await this.orders.findById(id);
    if (!order || String(order.user_id) !== principal.userId) throw new DomainError('NOT_FOUND', `no order ${orderId}`);
    return order;
  }

  private assertQueriesOn(): void {
    if (!this.switches.get('orderQueries')) {
      throw new DomainError('DEGRADED', 'order queries are switched off during the peak; try again later', { retryAfterSeconds: 30 });
    }
  }
}

function notPayable(order: OrderRow): DomainError {
  return new DomainError('ORDER_NOT_PAYABLE', `the order is ${order.status}, not awaiting payment`);
}
