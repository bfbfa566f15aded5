import { DynamicModule, Module } from '@nestjs/common';
import { OrdersModule } from '@seckill/orders';
import { AppConfig, PlatformModule } from '@seckill/platform';

/** Composition root of the order service: the order API and the order workers. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: 'order', needs: { database: true, redis: true }, config }),
        OrdersModule,
      ],
    };
  }
}
