import Redis from 'ioredis';
import { databaseName, dropDatabase, loadConfig } from '@seckill/platform';
import { loadDotEnv } from './env-file';
import { busyPortsMessage, busyServices } from './local-stack';

/**
 * `npm run db:reset`: back to an empty machine, MySQL and Redis together. The hot state in Redis (stock,
 * reservations, queues, switches) describes rows in MySQL; dropping one without the other leaves ghosts (a sold-out
 * flag for an activity that no longer exists, queued jobs for orders of a dropped shard). Drops exactly the
 * configured databases and deletes exactly the keys under the configured REDIS_KEY_PREFIX, nothing else; `npm start`
 * creates everything again. Refuses while the services run, and in production.
 */
async function main(): Promise<void> {
  const envFile = loadDotEnv();
  const config = loadConfig();
  if (config.NODE_ENV === 'production') throw new Error('refusing to reset a production deployment (NODE_ENV=production)');
  const busy = await busyServices(config);
  if (busy.length > 0) {
    process.stderr.write(busyPortsMessage(config, busy, 'db:reset (stop the services first)'));
    process.exit(1);
  }
  const urls = [config.DATABASE_URL, ...config.ORDER_SHARD_URLS];
  process.stdout.write(`db:reset: settings from ${envFile ?? 'the environment and the defaults'}\n`);
  for (const url of urls) {
    await dropDatabase(url);
    process.stdout.write(`db:reset: dropped database ${databaseName(url)}\n`);
  }
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      // The prefix is validated as [A-Za-z0-9:_-]: nothing in it is a glob character.
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  process.stdout.write(`db:reset: deleted ${deleted} Redis key(s) under "${config.REDIS_KEY_PREFIX}"; npm start creates everything again\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`db:reset: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
