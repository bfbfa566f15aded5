export * from './front-door-keys';
export * from './front-door.store';
export * from './front-door.module';
export * from './leader-lease';
export * from './inlet-rate';
export * from './stagger';
export * from './proof-of-work';
