export * from './shard-router';
export * from './order-id';
export * from './order-record';
export * from './order.repository';
export * from './order-writer';
export * from './worker-id.lease';
export * from './order-store.module';
export * from './order-view.dto';
