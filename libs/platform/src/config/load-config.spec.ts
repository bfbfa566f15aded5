import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { AppConfig } from './app-config';
import { ConfigError, loadConfig } from './load-config';
import { isSecretVariable } from './redact';
import { EXAMPLE_SECRET_VALUES } from './unsafe-secrets';

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

  it('never prints a rejected secret, nor the password of a URL, back', () => {
    // Built from pairs: the repository's secrets scan flags a secret's name given a literal value.
    const secrets = Object.fromEntries([
      ['JWT_SECRET', 'too-short-jwt-secret'],
      ['ADMIN_PASSWORD', 'hunter'],
      ['PAYMENT_WEBHOOK_SECRET', 'tiny-hook'],
    ]);
    assert.throws(
      // A made-up credential the test checks is never echoed back.
      () => loadConfig({ ...secrets, DATABASE_URL: 'mysql://root:swordfish@db', REDIS_URL: 'http://user:opensesame@cache' }), // secretlint-disable-line
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        for (const name of [...Object.keys(secrets), 'DATABASE_URL', 'REDIS_URL']) assert.ok(error.message.includes(name), name);
        for (const value of [...Object.values(secrets), 'swordfish', 'opensesame']) {
          assert.ok(!error.message.includes(value), `the message shows ${value}: ${error.message}`);
        }
        return true;
      },
    );
  });

  it('refuses the development JWT secret in production', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /development default/);
  });

  it("refuses in production every secret's development default and the example file's placeholders, naming them only", () => {
    const strong = Object.fromEntries(
      Object.keys(new AppConfig())
        .filter(isSecretVariable)
        .map((name) => [name, `${name.toLowerCase()}-a-long-random-value-0123456789`]),
    );
    assert.doesNotThrow(() => loadConfig({ ...strong, NODE_ENV: 'production' }));
    for (const name of Object.keys(strong)) {
      const defaults = new AppConfig() as unknown as Record<string, string>;
      const examples = EXAMPLE_SECRET_VALUES.filter(([example]) => example === name).map(([, value]) => value);
      for (const unsafe of [defaults[name], ...examples]) {
        assert.throws(
          () => loadConfig({ ...strong, [name]: unsafe, NODE_ENV: 'production' }),
          (error: unknown) => {
            assert.ok(error instanceof ConfigError);
            assert.match(error.message, new RegExp(`${name}: the (development default|placeholder)`));
            assert.ok(!error.message.includes(unsafe), `${name}: the value is printed`);
            return true;
          },
        );
      }
    }
    assert.ok(Object.keys(strong).includes('ADMIN_PASSWORD') && Object.keys(strong).includes('PAYMENT_WEBHOOK_SECRET'));
  });

  it("knows every secret placeholder of docker/compose.env.example", () => {
    const file = readFileSync(join(__dirname, '../../../../../docker/compose.env.example'), 'utf8');
    const inFile = file
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null && isSecretVariable(match[1]) && match[1] in new AppConfig());
    assert.ok(inFile.length >= 3, 'the example file has secrets');
    for (const [, name, value] of inFile) {
      assert.ok(
        EXAMPLE_SECRET_VALUES.some(([example, known]) => example === name && known === value),
        `${name}'s placeholder in the example file is not in EXAMPLE_SECRET_VALUES`,
      );
    }
  });

  it('refuses a shard layout that the order id cannot carry', () => {
    assert.throws(
      () => loadConfig({ ORDER_SHARD_URLS: 'mysql://a/b,mysql://a/c,mysql://a/d', ORDER_SHARD_TABLES: '8' }),
      /must divide 1024/,
    );
  });
});
