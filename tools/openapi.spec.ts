import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHttpApp } from '@seckill/platform';
import { PURCHASE_ROUTE } from '@seckill/seckill';
import { call, createTestConfig, createTestDatabases, dropTestResources } from '@seckill/testing';
import { AppModule as AuthApp } from '../apps/auth/src/app.module';
import { REPO_ROOT } from './env-file';
import { combinedOpenApiText, OPENAPI_FILE, serviceDocuments } from './openapi-document';

type Operation = {
  responses: Record<string, unknown>;
  requestBody?: unknown;
  parameters?: Array<{ in: string; name: string }>;
  security?: Array<Record<string, unknown>>;
};
type Paths = Record<string, Record<string, Operation>>;

/** The top-level entries (paths, schemas) whose description differs, for a message that says where to look. */
function differences(committed: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const names = new Set([...Object.keys(committed), ...Object.keys(current)]);
  return [...names].filter((name) => JSON.stringify(committed[name]) !== JSON.stringify(current[name])).sort();
}

describe('OpenAPI', () => {
  const config = createTestConfig();
  after(() => dropTestResources(config));

  it(`${OPENAPI_FILE} is what the code describes`, async () => {
    const current = await combinedOpenApiText(config);
    const file = join(REPO_ROOT, OPENAPI_FILE);
    assert.ok(existsSync(file), `${OPENAPI_FILE} is missing: run \`npm run openapi\` and commit it`);
    const committed = readFileSync(file, 'utf8');
    if (committed === current) return;
    const a = JSON.parse(committed) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    const b = JSON.parse(current) as typeof a;
    const changed = [...differences(a.paths, b.paths), ...differences(a.components.schemas, b.components.schemas).map((name) => `schema ${name}`)];
    assert.fail(
      `${OPENAPI_FILE} no longer matches the code (${changed.join(', ') || 'document header'}): run \`npm run openapi\` and commit the result`,
    );
  });

  it('documents a success response, the error body and its codes on every operation', async () => {
    const documents = await serviceDocuments(config);
    for (const [service, document] of Object.entries(documents)) {
      for (const [path, item] of Object.entries(document.paths as Paths)) {
        for (const [method, operation] of Object.entries(item)) {
          const statuses = Object.keys(operation.responses);
          const where = `${service}: ${method.toUpperCase()} ${path}`;
          for (const scheme of (operation.security ?? []).flatMap((requirement) => Object.keys(requirement))) {
            assert.ok(document.components?.securitySchemes?.[scheme], `${where} names the security scheme ${scheme}, which the document does not define`);
          }
          assert.ok(statuses.some((status) => status.startsWith('2')), `${where} documents no success response`);
          assert.ok(statuses.includes('414'), `${where} documents no error body (use @ApiErrors from @seckill/platform)`);
          for (const param of path.match(/\{(\w+)\}/g) ?? []) {
            const name = param.slice(1, -1);
            assert.ok(
              operation.parameters?.some((p) => p.in === 'path' && p.name === name),
              `${where} does not document its path parameter ${name}`,
            );
          }
        }
      }
    }
  });

  it('describes the purchase in the seckill document only, with its body and every answer', async () => {
    const documents = await serviceDocuments(config);
    // The fast path serves PURCHASE_ROUTE (Fastify's `:id`); the document names the same route in OpenAPI's `{id}`.
    const purchasePath = PURCHASE_ROUTE.replace(/:(\w+)/g, '{$1}');
    assert.equal(purchasePath, '/api/activities/{id}/purchase');
    const purchase = (documents.seckill.paths as Paths)[purchasePath]?.post;
    assert.ok(purchase, 'the purchase route is in the seckill document');
    assert.ok(purchase.requestBody, 'the purchase documents its body');
    assert.deepEqual(Object.keys(purchase.responses).sort(), ['202', '400', '401', '404', '409', '410', '413', '414', '415', '429', '503']);
    assert.equal((documents.auth.paths as Paths)[purchasePath], undefined, 'other services do not describe it');
  });

  it('a service serves its own document at /docs (JSON at /docs-json), the same as the combined file holds for it', async () => {
    await createTestDatabases(config); // the started auth service ensures the admin account
    const app = await createHttpApp(AuthApp.register(config), { service: 'auth', config });
    try {
      await app.listen(0, '127.0.0.1');
      const address = app.getHttpServer().address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const served = await call<{ paths: Paths }>(`${url}/docs-json`);
      assert.equal(served.status, 200);
      assert.deepEqual(served.body, JSON.parse(JSON.stringify((await serviceDocuments(config)).auth)));
      const ui = await fetch(`${url}/docs`);
      assert.equal(ui.status, 200);
      assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
    } finally {
      await app.close();
    }
  });
});
