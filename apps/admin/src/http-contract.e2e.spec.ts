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

// The shared HTTP error contract (shared/API.md, "Errors") against a real admin service.

describe('admin service HTTP contract', () => {
  const config = createTestConfig();
  let service: TestApp | undefined;

  before(async () => {
    await createTestDatabases(config);
    service = await startTestApp('admin', AppModule.register(config), config);
  });

  after(async () => {
    await service?.close();
    await dropTestResources(config);
  });

  for (const check of httpContractChecks({ post: { path: '/api/admin/activities', token: mintToken(config, 1, 'admin') } })) {
    it(check.name, () => check.run(service!.url));
  }
});
