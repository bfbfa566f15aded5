import { Module } from '@nestjs/common';
import { StockService } from './stock.service';

/** Redis stock and reservations of activities. Needs PlatformModule's Redis connection. */
@Module({ providers: [StockService], exports: [StockService] })
export class StockModule {}
