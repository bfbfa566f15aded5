import { DynamicModule, Module } from '@nestjs/common';
import { PaysimModule } from '@seckill/paysim';
import { AppConfig, PlatformModule } from '@seckill/platform';

/** Composition root of the paysim service (the payment provider stand-in). */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ service: 'paysim', needs: {}, config }), PaysimModule],
    };
  }
}
