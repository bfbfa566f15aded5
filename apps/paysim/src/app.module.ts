import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, PlatformModule } from '@seckill/platform';

/** Composition root of the paysim service. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: 'paysim', needs: {}, config })],
    };
  }
}
