import { once } from 'node:events';
import { Global, Logger, Module } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { redactUrl } from '../config/redact';
import { RedisKeys } from './redis-keys';

/** Injection token of the shared ioredis connection (commands and scripts). */
export const REDIS = Symbol('REDIS');

/** The command timeout when none is configured (REDIS_COMMAND_TIMEOUT_MS). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;

/** How long a service waits at boot for Redis before it goes on without it (and reports itself not ready). */
const BOOT_WAIT_MS = 10_000;

/**
 * Options of the connection that serves requests: fail a command fast rather than make a client wait.
 * - enableOfflineQueue off: while Redis is unreachable a command fails at once instead of queueing until it is back
 *   (a login took 7.8 s to answer 503 that way);
 * - commandTimeout: a command Redis does not answer (a frozen server, a lost network) fails after this long. A
 *   script it fails may still run later in Redis: callers treat a failure as unknown, never as "not done" (a
 *   purchase retried after a 503 finds its own reservation: ALREADY_PURCHASED with its id);
 * - maxRetriesPerRequest 1: a command in flight when the connection drops is re-sent once after the reconnect, no
 *   more, so an outage does not pile retries onto the recovering server. Reconnection itself goes on in the
 *   background (retryStrategy).
 */
export function redisOptions(commandTimeoutMs = DEFAULT_REDIS_COMMAND_TIMEOUT_MS): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    enableAutoPipelining: true,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
}

/**
 * A connection of its own for background work that may wait for Redis: subscriptions (ioredis re-subscribes after a
 * reconnect), blocking reads (XREADGROUP BLOCK outlives any command timeout). Commands queue while Redis is away
 * instead of failing, since no client is waiting on them.
 */
export function backgroundConnection(redis: Redis): Redis {
  return redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
}

/**
 * Waits until a connection is ready, at most `timeoutMs`; resolves false when it is not. A connection without its
 * offline queue refuses commands until it is ready, so a service waits for it before its modules start.
 */
export async function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    await once(redis, 'ready', { signal: timeout });
    return true;
  } catch {
    return false;
  }
}

/**
 * Closes the shared connection at shutdown. QUIT fails at once while Redis is unreachable and after the command
 * timeout while it is frozen; the connection is then dropped.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/**
 * One ioredis connection per process (auto-pipelined, failing fast; see redisOptions) and the key builder. The
 * connection is closed by PlatformModule, last of all (see PlatformShutdown): global modules shut down in the reverse
 * order of their import, so a closer here would run before PlatformModule's own hooks, which still need Redis.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        const redis = new Redis(config.REDIS_URL, redisOptions(config.REDIS_COMMAND_TIMEOUT_MS));
        const logger = new Logger('redis');
        let lastError = '';
        redis.on('error', (error: Error) => {
          if (error.message !== lastError) logger.warn(`redis: ${error.message}`);
          lastError = error.message;
        });
        redis.on('ready', () => (lastError = ''));
        if (!(await whenReady(redis, BOOT_WAIT_MS))) {
          logger.warn(`Redis at ${redactUrl(config.REDIS_URL)} is not reachable yet; starting without it (not ready)`);
        }
        return redis;
      },
    },
    { provide: RedisKeys, inject: [AppConfig], useFactory: (config: AppConfig) => new RedisKeys(config.REDIS_KEY_PREFIX) },
  ],
  exports: [REDIS, RedisKeys],
})
export class RedisModule {}
