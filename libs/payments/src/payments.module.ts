import { Module } from '@nestjs/common';
import { OrderStoreModule } from '@seckill/order-store';
import { PaymentStoreModule } from '@seckill/payment-store';
import { BreakerMonitor } from './breaker.monitor';
import { CallbackService } from './callback.service';
import { PaymentsController } from './payments.controller';
import { PaymentsMetrics } from './payments.metrics';
import { PaymentsService } from './payments.service';
import { SettlementService } from './settlement.service';

/**
 * The payment service's feature: paying an order through the provider adapter (breaker, bucket, timeout), the
 * provider's signed notifications, refunds of late payments, and the breaker's metrics and shared state.
 * Needs PlatformModule.forRoot with the database and Redis.
 */
@Module({
  imports: [PaymentStoreModule.forRoot({ breakerSwitch: true }), OrderStoreModule],
  controllers: [PaymentsController],
  providers: [PaymentsService, SettlementService, CallbackService, PaymentsMetrics, BreakerMonitor],
})
export class PaymentsModule {}

