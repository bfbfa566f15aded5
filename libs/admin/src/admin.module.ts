import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { SwitchesModule } from '@seckill/flow-control';
import { OrderStoreModule } from '@seckill/order-store';
import { PaymentStoreModule } from '@seckill/payment-store';
import { HotStateModule, StockModule } from '@seckill/stock';
import { AdminActivitiesService } from './admin-activities.service';
import { AdminController } from './admin.controller';
import { AdminOrdersService } from './admin-orders.service';
import { AuditRepository } from './audit/audit.repository';
import { AuditService } from './audit/audit.service';
import { FailedJobsService } from './jobs/failed-jobs.service';
import { OperationsController } from './operations.controller';
import { AutoDegradeScheduler } from './plans/auto-degrade.scheduler';
import { PlansService } from './plans/plans.service';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { ReconciliationService } from './reconciliation.service';
import { PrewarmScheduler } from './prewarm.scheduler';
import { LoginProxyController } from './session/login-proxy.controller';
import { SessionController } from './session/session.controller';
import { AdminStreamGuard } from './session/admin-stream.guard';
import { StatsController } from './stats/stats.controller';
import { PaymentBreakersSource } from './stats/payment-breakers.source';
import { BREAKER_STATE, StatsService } from './stats/stats.service';
import { StatsStream } from './stats/stats.stream';
import { AdminSwitchesService } from './switches/admin-switches.service';
import { AdminMetrics } from './admin.metrics';

/**
 * The admin service's API (activities, prewarm, switches, plans, audit, stats and their stream, reconciliation,
 * orders across shards, queues and failed jobs, the operator's session), the automatic prewarm ahead of each start,
 * the automatic degradation around it and the scheduled reconciliation. Needs QueueModule for the queue views. The dashboard and the queue board
 * are mounted by configureAdmin.
 */
@Module({
  imports: [ActivitiesModule, StockModule, HotStateModule, SwitchesModule, OrderStoreModule, PaymentStoreModule.forRoot({ breakerSwitch: false })],
  controllers: [AdminController, OperationsController, StatsController, SessionController, LoginProxyController],
  providers: [
    AdminActivitiesService,
    PrewarmScheduler,
    ReconciliationService,
    ReconciliationScheduler,
    AdminOrdersService,
    AdminSwitchesService,
    AuditRepository,
    AuditService,
    PlansService,
    AutoDegradeScheduler,
    FailedJobsService,
    StatsService,
    { provide: BREAKER_STATE, useClass: PaymentBreakersSource },
    StatsStream,
    AdminStreamGuard,
    AdminMetrics,
  ],
})
export class AdminModule {}
