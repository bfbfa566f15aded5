import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerLoadShedding } from '@seckill/flow-control';
import type { AppConfig } from '@seckill/platform';
import { registerHttpCaching, registerPurchaseFastPath } from '@seckill/seckill';

/**
 * The hot path sheds load at the door (503 BUSY before any work when the instance is saturated) and serves
 * well-formed purchases in Fastify's hooks, ahead of Nest's per-request machinery (see registerPurchaseFastPath);
 * catalog reads carry Cache-Control and ETag for a CDN or the gateway.
 */
export function configureSeckill(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  registerLoadShedding(fastify, {
    maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS,
    maxInFlight: config.SHED_MAX_IN_FLIGHT,
  });
  registerHttpCaching(fastify);
  registerPurchaseFastPath(app);
}
