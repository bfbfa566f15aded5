export * from './admin.module';
export * from './web/configure-admin';
export { BREAKER_STATE } from './stats/stats.service';
export type { BreakerSnapshot, BreakerStateSource, StatsSnapshot } from './stats/stats.service';
export { AutoDegradeScheduler } from './plans/auto-degrade.scheduler';
