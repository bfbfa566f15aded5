import { Module } from '@nestjs/common';
import { OrderRepository } from './order.repository';
import { OrderWriter } from './order-writer';
import { WorkerIdLease } from './worker-id.lease';

/** Sharded order storage and order ids. Needs PlatformModule's database and Redis connections. */
@Module({ providers: [OrderRepository, OrderWriter, WorkerIdLease], exports: [OrderRepository, OrderWriter, WorkerIdLease] })
export class OrderStoreModule {}
