import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerLoadShedding } from '@seckill/flow-control';
import type { AppConfig } from '@seckill/platform';
import { registerPurchaseFastPath } from '@seckill/seckill';

/**
 * The hot path sheds load at the door (503 BUSY before any work when the instance is saturated) and serves
 * well-formed purchases in Fastify's hooks, ahead of Nest's per-request machinery (see registerPurchaseFastPath).
 * `fastPath: false` leaves every purchase to the controller (tests compare the two doors).
 */
export function configureSeckill(app: NestFastifyApplication, config: AppConfig, options: { fastPath?: boolean } = {}): void {
  registerLoadShedding(app.getHttpAdapter().getInstance(), {
    maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS,
    maxInFlight: config.SHED_MAX_IN_FLIGHT,
  });
  if (options.fastPath !== false) registerPurchaseFastPath(app);
}
