import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root, from dist/tools/ where this runs. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * Reads `.env` at the repository's root into process.env when it exists (the local tools only: npm start, npm run
 * dev, db:migrate, db:reset). A variable already set in the environment wins over the file, so
 * `AUTH_PORT=4001 npm start` still overrides it. Returns the file's path when one was read.
 */
export function loadDotEnv(): string | undefined {
  const file = join(REPO_ROOT, '.env');
  if (!existsSync(file)) return undefined;
  process.loadEnvFile(file);
  return file;
}
