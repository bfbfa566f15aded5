export * from './seckill.module';
export * from './purchase-token';
export * from './order-relay.service';
export * from './purchase-fast-path';
