export * from './error-codes';
export * from './service-names';
