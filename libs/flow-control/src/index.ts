export type { Clock } from './bucket-math';
export * from './token-bucket';
export * from './leaky-bucket';
export * from './keyed-rate-limiter';
export * from './ip-matcher';
export * from './load-shedding';
export * from './switches/switches';
export * from './switches/switches.service';
export * from './switches/switches.module';
