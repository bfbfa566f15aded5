export * from './test-env';
export * from './schema-drift';
export * from './http-contract';
export * from './redis-server';
export * from './cuttable-proxy';
