export * from './test-env';
export * from './schema-drift';
export * from './http-contract';
export * from './served-routes';
export * from './state-counts';
export * from './own-servers';
export * from './cuttable-proxy';
