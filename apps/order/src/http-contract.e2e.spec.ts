import { after, before, describe, it } from 'node:test';
import {
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  httpContractChecks,
  startTestApp,
  TestApp,
} from '@seckill/testing';
import { AppModule } from './app.module';

// The shared HTTP error contract (shared/API.md, "Errors") against a real order service.
// TODO: pass { post: { path: ... } } once POST /api/orders/:id/cancel exists, so the body checks run here too.

describe('order service HTTP contract', () => {
  const config = createTestConfig();
  let service: TestApp | undefined;

  before(async () => {
    await createTestDatabases(config);
    service = await startTestApp('order', AppModule.register(config), config);
  });

  after(async () => {
    await service?.close();
    await dropTestResources(config);
  });

  for (const check of httpContractChecks()) {
    it(check.name, () => check.run(service!.url));
  }
});
