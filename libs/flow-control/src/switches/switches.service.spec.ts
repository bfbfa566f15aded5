import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NestFactory } from '@nestjs/core';
import { Logger, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { DomainError, PlatformModule, RedisKeys, redisOptions, whenReady } from '@seckill/platform';
import { createTestConfig, deleteRedisPrefix } from '@seckill/testing';
import { SwitchesModule } from './switches.module';
import { defaultSwitchValues } from './switches';
import { SwitchesService } from './switches.service';

/** Polls until `check` passes or `withinMs` has gone by; returns how long it took. */
async function eventually(check: () => boolean, withinMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) assert.fail(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

describe('SwitchesService (real Redis)', () => {
  const config = createTestConfig();
  const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
  const connections: Redis[] = [];
  const services: SwitchesService[] = [];
  let a: SwitchesService;
  let b: SwitchesService;
  let raw: Redis;

  /** An instance as another process would have it: its own connection, the same prefix. */
  async function startInstance(): Promise<SwitchesService> {
    const redis = new Redis(config.REDIS_URL, redisOptions());
    connections.push(redis);
    assert.ok(await whenReady(redis, 5000), 'Redis is reachable');
    const service = new SwitchesService(redis, keys);
    services.push(service);
    await service.onModuleInit();
    return service;
  }

  before(async () => {
    // The malformed-value cases log warnings by design; the assertions are on the values, not on the log.
    Logger.overrideLogger(false);
    raw = new Redis(config.REDIS_URL);
    connections.push(raw);
    a = await startInstance();
    b = await startInstance();
  });

  after(async () => {
    for (const service of services) await service.onApplicationShutdown();
    for (const redis of connections) await redis.quit();
    await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  });

  it('starts at the defaults when nothing is stored', () => {
    assert.deepEqual(b.all(), defaultSwitchValues());
  });

  it('a change on one instance reaches the other within a second', async () => {
    const values = await a.set('purchaseShedPercent', 40);
    assert.equal(values.purchaseShedPercent, 40);
    assert.equal(a.get('purchaseShedPercent'), 40, 'the writer sees its change at once');
    await eventually(() => b.get('purchaseShedPercent') === 40, 1000);

    await b.set('registration', false);
    await eventually(() => a.get('registration') === false, 1000);
    await a.set('paymentBreaker', 'FORCED_OPEN');
    await eventually(() => b.get('paymentBreaker') === 'FORCED_OPEN', 1000);
    await a.set('paymentBreaker', 'AUTO');
    await eventually(() => b.get('paymentBreaker') === 'AUTO', 1000);
    assert.deepEqual(a.all(), { ...defaultSwitchValues(), registration: false, purchaseShedPercent: 40 });
  });

  it('refuses a bad value and changes nothing', async () => {
    const before = await raw.hgetall(keys.switches);
    const refusals: Array<[string, unknown]> = [
      ['purchaseShedPercent', 101],
      ['purchaseShedPercent', 2.5],
      ['purchaseShedPercent', '10'],
      ['orderQueries', 'false'],
      ['orderQueries', null],
      ['paymentBreaker', 'OPEN'],
      ['paymentBreaker', true],
    ];
    for (const [name, value] of refusals) {
      await assert.rejects(
        a.set(name, value),
        (error: unknown) =>
          error instanceof DomainError && error.code === 'VALIDATION_FAILED' && error.message.startsWith(`${name} must be`),
      );
    }
    await assert.rejects(
      a.set('noSuchSwitch', true),
      (error: unknown) => error instanceof DomainError && error.code === 'NOT_FOUND' && error.message.includes('noSuchSwitch'),
    );
    assert.deepEqual(await raw.hgetall(keys.switches), before);
    await b.reload();
    assert.deepEqual(a.all(), b.all());
    assert.equal(b.get('purchaseShedPercent'), 40);
    assert.equal(b.get('orderQueries'), true);
  });

  it('reads a malformed stored value as the default', async () => {
    await raw.hset(keys.switches, 'purchaseShedPercent', 'lots', 'orderQueries', 'nope');
    await raw.publish(keys.switchesChannel, 'purchaseShedPercent');
    await eventually(() => b.get('purchaseShedPercent') === 0 && b.get('orderQueries') === true, 1000);
    assert.equal(b.get('registration'), false, 'the well-formed value is kept');
  });

  it('picks up a change whose message was missed, by reloading every second', async () => {
    await raw.hset(keys.switches, 'purchaseShedPercent', '75');
    await eventually(() => b.get('purchaseShedPercent') === 75 && a.get('purchaseShedPercent') === 75, 2500);
  });

  it('is provided by SwitchesModule over PlatformModule, and loads on init', async () => {
    @Module({ imports: [PlatformModule.forRoot({ service: 'admin', needs: { redis: true }, config }), SwitchesModule] })
    class TestRoot {}
    const app = await NestFactory.createApplicationContext(TestRoot, { logger: false });
    try {
      await app.init();
      const switches = app.get(SwitchesService);
      assert.equal(switches.get('purchaseShedPercent'), 75);
      await switches.set('orderQueries', false);
      await eventually(() => a.get('orderQueries') === false, 1000);
    } finally {
      await app.close();
    }
  });
});
