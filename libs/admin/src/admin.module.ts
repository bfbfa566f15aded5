import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { SwitchesModule } from '@seckill/flow-control';
import { StockModule } from '@seckill/stock';
import { AdminActivitiesService } from './admin-activities.service';
import { AdminController } from './admin.controller';
import { PrewarmScheduler } from './prewarm.scheduler';

/** The admin service's API (activities, prewarm, switches) and the automatic prewarm ahead of each start. */
@Module({
  imports: [ActivitiesModule, StockModule, SwitchesModule],
  controllers: [AdminController],
  providers: [AdminActivitiesService, PrewarmScheduler],
})
export class AdminModule {}
