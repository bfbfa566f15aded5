import { Module } from '@nestjs/common';
import { SwitchesService } from './switches.service';

/**
 * Provides SwitchesService. Expects the REDIS connection and RedisKeys in scope, as PlatformModule's global
 * RedisModule provides them (PlatformModule.forRoot with needs.redis).
 */
@Module({
  providers: [SwitchesService],
  exports: [SwitchesService],
})
export class SwitchesModule {}
