import { Module } from '@nestjs/common';
import { OrderRepository } from './order.repository';
import { OrderWriter } from './order-writer';

/**
 * Sharded order storage. Needs PlatformModule's database connections. The worker-id lease (WorkerIdLease) is not
 * provided here: only a process that creates orders holds one (OrdersModule provides it).
 */
@Module({ providers: [OrderRepository, OrderWriter], exports: [OrderRepository, OrderWriter] })
export class OrderStoreModule {}
