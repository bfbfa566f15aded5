import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { QUEUES } from '@seckill/contracts';
import { AppConfig } from '../config/app-config';
import { RedisKeys } from '../redis/redis-keys';
import { REDIS } from '../redis/redis.module';

/** Injection tokens of the BullMQ queues, for producers and for stats. */
export const ORDER_CREATE_QUEUE = Symbol('ORDER_CREATE_QUEUE');
export const ORDER_TIMEOUT_QUEUE = Symbol('ORDER_TIMEOUT_QUEUE');

/**
 * Connection options for BullMQ queues and workers (options rather than a connection, so that BullMQ owns and
 * closes its connections; it requires maxRetriesPerRequest null on those it blocks on).
 */
export function bullConnection(config: AppConfig): RedisOptions {
  const url = new URL(config.REDIS_URL);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

@Injectable()
class QueueCloser implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ORDER_CREATE_QUEUE) private readonly create: Queue,
    @Inject(ORDER_TIMEOUT_QUEUE) private readonly timeout: Queue,
    @Optional() @Inject(REDIS) private readonly redis?: Redis,
  ) {}

  /**
   * Looks at Redis before any module's shutdown hook runs: afterwards the shared connection may have been QUIT (by
   * PlatformShutdown, last of all), and a healthy Redis would look unreachable (dropping a queue's connection in the
   * middle of its setup then fails that setup).
   */
  async beforeApplicationShutdown(): Promise<void> {
    // A graceful close QUITs, which waits for an unreachable Redis to come back: drop the connections instead.
    const queues = [this.create, this.timeout];
    const redisDown = this.redis !== undefined && this.redis.status !== 'ready';
    if (redisDown) await Promise.allSettled(queues.map(dropQueueConnection));
    else await Promise.allSettled(queues.map(settled));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.create, this.timeout].map((queue) => queue.close()));
  }
}

function queueProvider(token: symbol, name: string) {
  return {
    provide: token,
    inject: [AppConfig, RedisKeys],
    useFactory: (config: AppConfig, keys: RedisKeys) => {
      const queue = new Queue(name, { connection: bullConnection(config), prefix: keys.bullPrefix });
      // A connection error (Redis unreachable, a connection dropped at shutdown) is logged, never thrown: an
      // 'error' event without a listener would end the process.
      const logger = new Logger(`queue:${name}`);
      queue.on('error', (error: Error) => logger.warn(error.message));
      return queue;
    },
  };
}

/** The order queues as producers see them (the order service's workers consume them). */
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      providers: [
        queueProvider(ORDER_CREATE_QUEUE, QUEUES.orderCreate),
        queueProvider(ORDER_TIMEOUT_QUEUE, QUEUES.orderTimeout),
        QueueCloser,
      ],
      exports: [ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE],
    };
  }
}

/**
 * Waits (at most a second) for a queue's connection to finish its setup. Closing a queue whose connection is still
 * being set up (an app built and closed at once, as the OpenAPI build does) disconnects it in the middle of BullMQ's
 * version check, whose failed INFO then surfaces as an unhandled rejection; once set up, close() QUITs cleanly.
 */
export async function settled(queue: Pick<Queue, 'waitUntilReady'>): Promise<void> {
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
  await Promise.race([queue.waitUntilReady().then(() => undefined, () => undefined), timeout]);
}

/**
 * Drops a BullMQ queue's connection at once, for a shutdown while Redis is unreachable (Queue.close() QUITs, which
 * waits for Redis to come back; Queue.disconnect() waits for an 'end' event a connection that is already down never
 * emits). A close() afterwards finds the connection ended and returns.
 */
export async function dropQueueConnection(queue: Queue): Promise<void> {
  const client = await Promise.race([queue.client, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100).unref())]);
  client?.disconnect();
}
