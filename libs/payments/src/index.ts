export * from './payments.module';
export { BreakerMonitor } from './breaker.monitor';
