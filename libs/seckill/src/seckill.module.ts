import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { SwitchesModule } from '@seckill/flow-control';
import { FrontDoorModule } from '@seckill/front-door';
import { OrderStoreModule } from '@seckill/order-store';
import { HotStateModule, StockModule } from '@seckill/stock';
import { ActivitiesController } from './activities.controller';
import { ClientConfigController } from './client-config.controller';
import { CatalogQueries } from './catalog.queries';
import { CatalogService } from './catalog.service';
import { ChannelSubscriber } from './channel-subscriber';
import { FrontDoorService } from './front-door.service';
import { InletScheduler } from './inlet.scheduler';
import { OrderRelay } from './order-relay.service';
import { PurchaseService } from './purchase.service';
import { ReadDegradation } from './read-degradation';
import { SeckillLiveStats } from './seckill-live-stats';
import { RequestLimitGuard } from './request-limit.guard';
import { ReservationJournal } from './reservation-journal';
import { SeckillMetrics } from './seckill.metrics';
import { SoldOutRegistry } from './sold-out.registry';
import { StockSnapshot } from './stock-snapshot';

/**
 * The seckill service's features: catalog, the front door (waiting room and its inlet, stagger, participant cap,
 * challenge, client config), purchase tokens, purchases, results, relay to the order queue.
 */
@Module({
  imports: [ActivitiesModule, StockModule, HotStateModule, SwitchesModule, FrontDoorModule, OrderStoreModule],
  controllers: [ActivitiesController, ClientConfigController],
  providers: [
    SeckillMetrics,
    SeckillLiveStats,
    ChannelSubscriber,
    CatalogService,
    CatalogQueries,
    SoldOutRegistry,
    StockSnapshot,
    RequestLimitGuard,
    FrontDoorService,
    InletScheduler,
    PurchaseService,
    ReservationJournal,
    ReadDegradation,
    OrderRelay,
  ],
})
export class SeckillModule {}
