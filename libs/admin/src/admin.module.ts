import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { SwitchesModule } from '@seckill/flow-control';
import { OrderStoreModule } from '@seckill/order-store';
import { StockModule } from '@seckill/stock';
import { AdminActivitiesService } from './admin-activities.service';
import { AdminController } from './admin.controller';
import { AdminOrdersService } from './admin-orders.service';
import { ReconciliationService } from './reconciliation.service';
import { PrewarmScheduler } from './prewarm.scheduler';

/**
 * The admin service's API (activities, prewarm, switches, reconciliation, orders across shards, queues) and the
 * automatic prewarm ahead of each start. Needs QueueModule for the queue views.
 */
@Module({
  imports: [ActivitiesModule, StockModule, SwitchesModule, OrderStoreModule],
  controllers: [AdminController],
  providers: [AdminActivitiesService, PrewarmScheduler, ReconciliationService, AdminOrdersService],
})
export class AdminModule {}
