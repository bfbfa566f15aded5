import { Module } from '@nestjs/common';
import { ActivitiesModule } from '@seckill/activities';
import { SwitchesModule } from '@seckill/flow-control';
import { OrderStoreModule } from '@seckill/order-store';
import { StockModule } from '@seckill/stock';
import { ActivitiesController } from './activities.controller';
import { CatalogQueries } from './catalog.queries';
import { CatalogService } from './catalog.service';
import { ChannelSubscriber } from './channel-subscriber';
import { OrderRelay } from './order-relay.service';
import { PurchaseService } from './purchase.service';
import { SeckillMetrics } from './seckill.metrics';
import { SoldOutRegistry } from './sold-out.registry';

/** The seckill service's features: catalog, purchase tokens, purchases, results, relay to the order queue. */
@Module({
  imports: [ActivitiesModule, StockModule, SwitchesModule, OrderStoreModule],
  controllers: [ActivitiesController],
  providers: [
    SeckillMetrics,
    ChannelSubscriber,
    CatalogService,
    CatalogQueries,
    SoldOutRegistry,
    PurchaseService,
    OrderRelay,
  ],
})
export class SeckillModule {}
