export * from './test-env';
export * from './schema-drift';
export * from './http-contract';
export * from './own-servers';
