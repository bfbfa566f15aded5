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
        // A purchase needs Redis only: the service stays ready, and sells, through a MySQL outage.
        PlatformModule.forRoot({ service: 'seckill', needs: { database: true, redis: true }, servesWithout: ['database'], config }),
        QueueModule.forRoot(),
        SeckillModule,
      ],
    };
  }
}
