export * from './activity';
export * from './error-codes';
export * from './queues';
export * from './service-names';
export * from './provider';
