import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { backgroundConnection, REDIS } from '@seckill/platform';

type Handler = (message: string) => void;

/** One pub/sub connection per instance, shared by everything here that listens to a channel. */
@Injectable()
export class ChannelSubscriber implements OnApplicationShutdown {
  private readonly logger = new Logger(ChannelSubscriber.name);
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Handler[]>();

  constructor(@Inject(REDIS) redis: Redis) {
    this.subscriber = backgroundConnection(redis);
    this.subscriber.on('error', (error: Error) => this.logger.warn(`subscriber: ${error.message}`));
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
  }

  async on(channel: string, handler: Handler): Promise<void> {
    const handlers = this.handlers.get(channel);
    if (handlers) {
      handlers.push(handler);
      return;
    }
    this.handlers.set(channel, [handler]);
    await this.subscriber.subscribe(channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
