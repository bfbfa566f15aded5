import { Module } from '@nestjs/common';
import { ActivityCache } from './activity-cache';
import { ActivityRepository } from './activity.repository';

/** Activity persistence (MySQL) and the shared catalog cache (Redis). Needs PlatformModule's connections. */
@Module({
  providers: [ActivityRepository, ActivityCache],
  exports: [ActivityRepository, ActivityCache],
})
export class ActivitiesModule {}
