import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.SECKILL_PORT, 3002);
    assert.deepEqual(config.ORDER_SHARD_URLS.length, 2);
    assert.equal(config.ORDER_SHARD_TABLES, 8);
    assert.deepEqual(config.RATE_LIMIT_IP_ALLOWLIST, []);
  });

  it('converts numbers and lists', () => {
    const config = loadConfig({ AUTH_PORT: '4001', TRUSTED_PROXIES: '10.0.0.1, 10.0.0.0/8', ORDER_SHARD_TABLES: '4' });
    assert.equal(config.AUTH_PORT, 4001);
    assert.equal(config.ORDER_SHARD_TABLES, 4);
    assert.deepEqual(config.TRUSTED_PROXIES, ['10.0.0.1', '10.0.0.0/8']);
  });

  it('fails fast naming every bad variable', () => {
    assert.throws(
      () => loadConfig({ AUTH_PORT: 'abc', JWT_SECRET: 'short', REDIS_URL: 'http://x' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes('AUTH_PORT="abc"') &&
        error.message.includes('JWT_SECRET') &&
        error.message.includes('REDIS_URL'),
    );
  });

  it('refuses the development JWT secret in production', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /development default/);
  });

  it('refuses a shard layout that the order id cannot carry', () => {
    assert.throws(
      () => loadConfig({ ORDER_SHARD_URLS: 'mysql://a/b,mysql://a/c,mysql://a/d', ORDER_SHARD_TABLES: '8' }),
      /must divide 1024/,
    );
  });
});
