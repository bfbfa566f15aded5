import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { QUEUES } from '@seckill/contracts';
import { SwitchesModule } from '@seckill/flow-control';
import { OrderStoreModule, WorkerIdLease } from '@seckill/order-store';
import { AppConfig, bullConnection, RedisKeys } from '@seckill/platform';
import { StockModule } from '@seckill/stock';
import { ActivityLookup } from './activity-lookup';
import { ActivityRetirer } from './activity-retirer';
import { OrderCancellationService } from './order-cancellation.service';
import { OrderCreateProcessor } from './order-create.processor';
import { OrderCreationService } from './order-creation.service';
import { OrderTimeoutProcessor } from './order-timeout.processor';
import { OrderTimeouts } from './order-timeouts';
import { OrdersController } from './orders.controller';
import { OrdersMetrics } from './orders.metrics';
import { OrdersService } from './orders.service';
import { QueueShutdown } from './queue-shutdown';
import { ReservationSweeper } from './reservation.sweeper';

/**
 * The order service's features: the order-create drain, unpaid-order timeouts, the sweeper, and the shopper's
 * order API. Its queues (consumed and produced) are @nestjs/bullmq's.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig, RedisKeys],
      useFactory: (config: AppConfig, keys: RedisKeys) => ({ connection: bullConnection(config), prefix: keys.bullPrefix }),
    }),
    BullModule.registerQueue({ name: QUEUES.orderCreate }, { name: QUEUES.orderTimeout }),
    ActivitiesModule,
    StockModule,
    OrderStoreModule,
    SwitchesModule,
  ],
  controllers: [OrdersController],
  providers: [
    OrdersMetrics,
    WorkerIdLease,
    ActivityLookup,
    OrderCreationService,
    OrderCancellationService,
    OrderCreateProcessor,
    OrderTimeouts,
    OrderTimeoutProcessor,
    ReservationSweeper,
    ActivityRetirer,
    OrdersService,
    QueueShutdown,
  ],
  exports: [OrderCancellationService, OrderTimeouts, ReservationSweeper, ActivityRetirer],
})
export class OrdersModule {}
