import { Module } from '@nestjs/common';
import { OrderRepository } from './order.repository';
import { WorkerIdLease } from './worker-id.lease';

/** Sharded order storage and order ids. Needs PlatformModule's database and Redis connections. */
@Module({ providers: [OrderRepository, WorkerIdLease], exports: [OrderRepository, WorkerIdLease] })
export class OrderStoreModule {}
