import { DynamicModule, Module } from '@nestjs/common';
import { PaymentsModule } from '@seckill/payments';
import { AppConfig, PlatformModule } from '@seckill/platform';

/** Composition root of the payment service. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: 'payment', needs: { database: true, redis: true }, config }), PaymentsModule],
    };
  }
}
