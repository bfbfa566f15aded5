export * from './seckill.module';
export * from './purchase-token';
export * from './purchase-fast-path';
export * from './sold-out-gate';
export * from './activities.routes';
export * from './http-caching';
