import { getQueueToken } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { QUEUES } from '@seckill/contracts';
import { dropQueueConnection, REDIS, settled } from '@seckill/platform';
import { OrderCreateProcessor } from './order-create.processor';
import { OrderTimeoutProcessor } from './order-timeout.processor';

/**
 * Shutting down while Redis is unreachable: BullMQ's graceful close waits for Redis to come back (it QUITs each
 * connection, and waits for the active jobs, which cannot finish without Redis), so the process would hang until
 * then. Without Redis, the workers are closed by force (an active job is taken over by another worker once its lock
 * lapses, as after a crash) and the queues' connections dropped, before @nestjs/bullmq's own shutdown hooks run. With
 * Redis up, the queues' connections are let finish their setup (see settled()) and the graceful close goes ahead.
 */
@Injectable()
export class QueueShutdown implements BeforeApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly creates: OrderCreateProcessor,
    private readonly timeouts: OrderTimeoutProcessor,
    @Inject(getQueueToken(QUEUES.orderCreate)) private readonly createQueue: Queue,
    @Inject(getQueueToken(QUEUES.orderTimeout)) private readonly timeoutQueue: Queue,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'ready') {
      await Promise.allSettled([this.createQueue, this.timeoutQueue].map(settled));
      return;
    }
    await Promise.allSettled([
      this.creates.worker.close(true),
      this.timeouts.worker.close(true),
      dropQueueConnection(this.createQueue),
      dropQueueConnection(this.timeoutQueue),
    ]);
  }
}
