import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@seckill/auth';
import { AppConfig, PlatformModule } from '@seckill/platform';

/** Composition root of the auth service. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: 'auth', needs: { database: true, redis: true }, config }), AuthModule],
    };
  }
}
