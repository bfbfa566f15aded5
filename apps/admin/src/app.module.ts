import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from '@seckill/admin';
import { AppConfig, PlatformModule, QueueModule } from '@seckill/platform';

/** Composition root of the admin service. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: 'admin', needs: { database: true, redis: true }, config }),
        QueueModule.forRoot(),
        AdminModule,
      ],
    };
  }
}
