import { Module } from '@nestjs/common';
import { OrderStoreModule } from '@seckill/order-store';
import { HotStateService } from './hot-state.service';
import { StockModule } from './stock.module';

/** Loading activities into Redis from MySQL's orders (HotStateService). Needs PlatformModule's Redis and databases. */
@Module({ imports: [StockModule, OrderStoreModule], providers: [HotStateService], exports: [HotStateService, StockModule] })
export class HotStateModule {}
