export * from './webhook-signature';
export * from './payment-record';
export * from './payment.repository';
export * from './payment-provider';
export * from './breaker-state';
export * from './payment-store.module';
