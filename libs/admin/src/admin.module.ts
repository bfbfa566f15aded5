import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { SwitchesModule } from '@seckill/flow-control';
import { OrderStoreModule } from '@seckill/order-store';
import { PaymentStoreModule } from '@seckill/payment-store';
import { StockModule } from '@seckill/stock';
import { AdminActivitiesService } from './admin-activities.service';
import { AdminController } from './admin.controller';
import { AdminOrdersService } from './admin-orders.service';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { ReconciliationService } from './reconciliation.service';
import { PrewarmScheduler } from './prewarm.scheduler';

/**
 * The admin service's API (activities, prewarm, switches, reconciliation, orders across shards, queues), the
 * automatic prewarm ahead of each start and the scheduled reconciliation. Needs QueueModule for the queue views.
 */
@Module({
  imports: [ActivitiesModule, StockModule, SwitchesModule, OrderStoreModule, PaymentStoreModule.forRoot({ breakerSwitch: false })],
  controllers: [AdminController],
  providers: [AdminActivitiesService, PrewarmScheduler, ReconciliationService, ReconciliationScheduler, AdminOrdersService],
})
export class AdminModule {}
