import { DynamicModule, Module } from '@nestjs/common';
import { BreakerMode, SwitchesModule, SwitchesService } from '@seckill/flow-control';
import { AppConfig } from '@seckill/platform';
import { PaymentProvider } from './payment-provider';
import { PaymentRepository } from './payment.repository';

/** The provider adapter as the configuration describes it, obeying the paymentBreaker switch. */
export function createPaymentProvider(config: AppConfig, mode?: () => BreakerMode): PaymentProvider {
  return new PaymentProvider({
    baseUrl: config.PAYMENT_PROVIDER_URL.replace(/\/+$/, ''),
    ratePerSecond: config.PAYMENT_PROVIDER_RATE_PER_SECOND,
    burst: config.PAYMENT_PROVIDER_BURST,
    breaker: {
      name: 'payment-provider',
      window: { type: config.PAYMENT_BREAKER_WINDOW_TYPE, size: config.PAYMENT_BREAKER_WINDOW_SIZE },
      minimumCalls: config.PAYMENT_BREAKER_MIN_CALLS,
      failureRateThreshold: config.PAYMENT_BREAKER_FAILURE_RATE,
      slowCallRateThreshold: config.PAYMENT_BREAKER_SLOW_CALL_RATE,
      slowCallDurationMs: config.PAYMENT_BREAKER_SLOW_CALL_MS,
      openWaitMs: config.PAYMENT_BREAKER_OPEN_MS,
      halfOpenProbes: config.PAYMENT_BREAKER_HALF_OPEN_PROBES,
      callTimeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
    },
    mode,
  });
}

/** Options of PaymentStoreModule.forRoot. */
export interface PaymentStoreOptions {
  /**
   * Whether the adapter's breaker obeys the paymentBreaker switch: the payment service's does; a reader such as
   * admin's reconciliation keeps its own breaker out of the operator's way (forcing payments off must not blind it).
   */
  breakerSwitch: boolean;
}

/**
 * Payments in MySQL and the payment provider adapter (one per process: its breaker and bucket are this process's).
 * Needs PlatformModule's database and Redis.
 */
@Module({})
export class PaymentStoreModule {
  static forRoot(options: PaymentStoreOptions): DynamicModule {
    return {
      module: PaymentStoreModule,
      imports: [SwitchesModule],
      providers: [
        PaymentRepository,
        {
          provide: PaymentProvider,
          inject: [AppConfig, SwitchesService],
          useFactory: (config: AppConfig, switches: SwitchesService) =>
            createPaymentProvider(config, options.breakerSwitch ? () => switches.get('paymentBreaker') : undefined),
        },
      ],
      exports: [PaymentRepository, PaymentProvider],
    };
  }
}
