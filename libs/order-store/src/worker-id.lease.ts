import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS, RedisKeys } from '@seckill/platform';
import { MAX_WORKERS, OrderIdGenerator } from './order-id';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

/**
 * Gives this process a worker number no other live process holds (a Redis lease, renewed while it lives), so
 * that order ids made by concurrent workers never collide. Also the process's OrderIdGenerator.
 */
@Injectable()
export class WorkerIdLease implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerIdLease.name);
  private readonly token = randomBytes(8).toString('hex');
  private workerId = -1;
  private generator: OrderIdGenerator | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private key(id: number): string {
    return this.keys.key('order', 'worker-id', id);
  }

  async onModuleInit(): Promise<void> {
    for (let id = 0; id < MAX_WORKERS; id++) {
      if ((await this.redis.set(this.key(id), this.token, 'PX', LEASE_MS, 'NX')) === 'OK') {
        this.workerId = id;
        this.generator = new OrderIdGenerator(id);
        this.timer = setInterval(() => void this.renew(), RENEW_MS);
        this.timer.unref();
        return;
      }
    }
    throw new Error(`all ${MAX_WORKERS} order worker ids are leased: too many order processes`);
  }

  private async renew(): Promise<void> {
    try {
      const holder = await this.redis.get(this.key(this.workerId));
      if (holder !== this.token) {
        // Our lease lapsed (e.g. a long pause) and someone may hold it: stop issuing ids until we lease again.
        this.generator = undefined;
        this.logger.error(`lost the lease of order worker id ${this.workerId}`);
        return;
      }
      await this.redis.pexpire(this.key(this.workerId), LEASE_MS);
    } catch (error) {
      this.logger.warn(`renewing worker id lease: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.workerId < 0) return;
    const key = this.key(this.workerId);
    if ((await this.redis.get(key).catch(() => null)) === this.token) await this.redis.del(key).catch(() => undefined);
  }

  /** A new order id for a user's order. */
  nextId(userId: bigint): bigint {
    if (!this.generator) throw new Error('no order worker id lease');
    return this.generator.next(userId);
  }
}
