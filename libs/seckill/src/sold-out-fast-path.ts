import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccessTokenService, DomainError, mapError } from '@seckill/platform';
import { CatalogService } from './catalog.service';
import { SeckillMetrics } from './seckill.metrics';
import { SoldOutRegistry } from './sold-out.registry';

/** The route the fast path answers (as Nest registers ActivitiesController's purchase). */
export const PURCHASE_ROUTE = '/api/activities/:id/purchase';

/**
 * After a sell-out, most of a sale's traffic is purchases that can only get 410. This answers them in Fastify's
 * onRequest hook, before the body is parsed and before Nest's guards, pipes and filters, with the same body the
 * controller would send; only for an authenticated caller, a sold-out activity this instance knows in memory and
 * a sale that has not ended. Anything else goes the normal way.
 */
export function registerSoldOutFastPath(app: NestFastifyApplication): void {
  const soldOut = app.get(SoldOutRegistry);
  const catalog = app.get(CatalogService);
  const tokens = app.get(AccessTokenService);
  const metrics = app.get(SeckillMetrics);
  const { status, body } = mapError(new DomainError('SOLD_OUT', 'sold out'));
  const payload = JSON.stringify(body);

  app.getHttpAdapter().getInstance().addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'POST' || request.routeOptions.url !== PURCHASE_ROUTE) return done();
    const id = Number((request.params as { id?: string }).id);
    if (!soldOut.has(id)) return done();
    const activity = catalog.peek(id);
    if (!activity || Date.now() >= activity.endAt) return done();
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return done();
    try {
      tokens.verify(header.slice(7).trim());
    } catch {
      return done();
    }
    metrics.purchases.inc({ outcome: 'SOLD_OUT' });
    void reply.code(status).type('application/json; charset=utf-8').send(payload);
  });
}
