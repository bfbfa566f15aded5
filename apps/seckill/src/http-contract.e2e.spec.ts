import { after, before, describe, it } from 'node:test';
import {
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  httpContractChecks,
  mintToken,
  startTestApp,
  TestApp,
} from '@seckill/testing';
import { AppModule } from './app.module';
import { configureSeckill } from './configure';

// The shared HTTP error contract (shared/API.md, "Errors") against a real seckill service.

describe('seckill service HTTP contract', () => {
  const config = createTestConfig();
  let service: TestApp | undefined;

  before(async () => {
    await createTestDatabases(config);
    service = await startTestApp('seckill', AppModule.register(config), config, configureSeckill);
  });

  after(async () => {
    await service?.close();
    await dropTestResources(config);
  });

  for (const check of httpContractChecks({ post: { path: '/api/activities/1/purchase', token: mintToken(config, 42) } })) {
    it(check.name, () => check.run(service!.url));
  }
});
