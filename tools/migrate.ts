import { defaultMigrationsDir, loadConfig, migrateAll } from '@seckill/platform';
import { loadDotEnv } from './env-file';

/** Applies prisma/migrations to the core database and every order shard (npm run db:migrate). */
export async function migrate(): Promise<void> {
  const config = loadConfig();
  const results = await migrateAll({
    coreUrl: config.DATABASE_URL,
    shardUrls: config.ORDER_SHARD_URLS,
    shardTables: config.ORDER_SHARD_TABLES,
    migrationsDir: defaultMigrationsDir(),
  });
  for (const result of results) {
    const what = result.applied.length > 0 ? `applied ${result.applied.join(', ')}` : 'up to date';
    process.stdout.write(`migrate: ${result.database}: ${what}\n`);
  }
}

if (require.main === module) {
  loadDotEnv();
  migrate().catch((error: unknown) => {
    process.stderr.write(`migrate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
