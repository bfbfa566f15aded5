import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@seckill/platform';
import { REPO_ROOT } from './env-file';
import { combinedOpenApiText, OPENAPI_FILE } from './openapi-document';

/**
 * `npm run openapi`: writes the combined OpenAPI document of all six services to docs/openapi.json. The services'
 * modules are built, not started; their Redis clients connect to the configured Redis, as `npm start` needs anyway.
 */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const text = await combinedOpenApiText(config);
  writeFileSync(join(REPO_ROOT, OPENAPI_FILE), text);
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
