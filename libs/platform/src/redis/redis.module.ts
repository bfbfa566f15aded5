import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { RedisKeys } from './redis-keys';

/** Injection token of the shared ioredis connection (commands and scripts). */
export const REDIS = Symbol('REDIS');

/** Options every ioredis connection of the product uses: fail a command fast rather than queue it forever. */
export function redisOptions(): import('ioredis').RedisOptions {
  return {
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One ioredis connection per process (auto-pipelined) and the key builder. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const redis = new Redis(config.REDIS_URL, redisOptions());
        const logger = new Logger('redis');
        let lastError = '';
        redis.on('error', (error: Error) => {
          if (error.message !== lastError) logger.warn(`redis: ${error.message}`);
          lastError = error.message;
        });
        redis.on('ready', () => (lastError = ''));
        return redis;
      },
    },
    { provide: RedisKeys, inject: [AppConfig], useFactory: (config: AppConfig) => new RedisKeys(config.REDIS_KEY_PREFIX) },
    RedisCloser,
  ],
  exports: [REDIS, RedisKeys],
})
export class RedisModule {}
