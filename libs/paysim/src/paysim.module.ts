import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PROVIDER_PATHS } from '@seckill/contracts';
import { CallbackDispatcher } from './callback-dispatcher';
import { OperatorKeyGuard, ProviderController } from './provider.controller';
import { PaysimService } from './paysim.service';

/** The payment provider stand-in. Needs no database and no Redis: a third party's state is its own. */
@Module({
  controllers: [ProviderController],
  providers: [PaysimService, CallbackDispatcher, OperatorKeyGuard],
})
export class PaysimModule {}

const OPERATOR_PATHS: readonly string[] = [PROVIDER_PATHS.faults, PROVIDER_PATHS.requests];

/**
 * paysim's hook on every request, before routing or parsing: it records each provider request's arrival (what a
 * test counts to prove the breaker kept calls away), including the ones it refuses.
 */
export function configurePaysim(app: NestFastifyApplication): void {
  const paysim = app.get(PaysimService);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      const path = request.url.split('?', 1)[0];
      if (path.startsWith('/provider/') && !OPERATOR_PATHS.includes(path)) paysim.record(request.method, path);
      done();
    });
}
