import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, PlatformModule, QueueModule } from '@seckill/platform';
import { SeckillModule } from '@seckill/seckill';

/** Composition root of the seckill service. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: 'seckill', needs: { database: true, redis: true }, config }),
        QueueModule.forRoot(),
        SeckillModule,
      ],
    };
  }
}
