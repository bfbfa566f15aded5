import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerLoadShedding } from '@seckill/flow-control';
import type { AppConfig } from '@seckill/platform';
import { registerSoldOutFastPath } from '@seckill/seckill';

/**
 * The hot path sheds load at the door (503 BUSY before any work when the instance is saturated) and answers
 * purchases of a sold-out activity before Nest's pipeline.
 */
export function configureSeckill(app: NestFastifyApplication, config: AppConfig): void {
  registerLoadShedding(app.getHttpAdapter().getInstance(), {
    maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS,
    maxInFlight: config.SHED_MAX_IN_FLIGHT,
  });
  registerSoldOutFastPath(app);
}
