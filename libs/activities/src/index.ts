export * from './activity-record';
export * from './activity.repository';
export * from './activity-cache';
export * from './activities.module';
export * from './activity-view.dto';
