import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { AccessTokenService, DomainError, mapError, Principal, sendError } from '@seckill/platform';
import { CatalogService } from './catalog.service';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { PurchaseDto } from './dto/purchase.dto';
import { PurchaseService } from './purchase.service';
import { SeckillMetrics } from './seckill.metrics';
import { SoldOutRegistry } from './sold-out.registry';

/** The route both fast paths serve (as Nest registers ActivitiesController's purchase). */
export const PURCHASE_ROUTE = '/api/activities/:id/purchase';

/**
 * The purchase endpoint takes the peak, and Nest's per-request machinery (router context, guard, validation and
 * parameter pipes, exception filter) costs about a quarter of its CPU. Two Fastify hooks serve the requests that
 * need none of it, with the same services and the same answers:
 * - onRequest, before the body is even parsed: a sold-out activity this instance knows in memory, a sale that has
 *   not ended and a valid access token → 410 SOLD_OUT;
 * - preHandler: a valid access token, a valid activity id and a body that passes PurchaseDto's class-validator rules
 *   (unknown fields refused, as the global pipe does) → PurchaseService.purchase, answered as the controller would.
 * Anything else (no or bad token, bad id, bad body) falls through to ActivitiesController, the reference
 * implementation the OpenAPI document describes, which answers the error with its full details.
 */
export function registerPurchaseFastPath(app: NestFastifyApplication): void {
  const soldOut = app.get(SoldOutRegistry);
  const catalog = app.get(CatalogService);
  const tokens = app.get(AccessTokenService);
  const purchases = app.get(PurchaseService);
  const metrics = app.get(SeckillMetrics);
  const logger = new Logger('purchase');
  const ids = new ActivityIdPipe();
  const soldOutAnswer = mapError(new DomainError('SOLD_OUT', 'sold out'));
  const soldOutPayload = JSON.stringify(soldOutAnswer.body);

  const isPurchase = (request: FastifyRequest) => request.method === 'POST' && request.routeOptions.url === PURCHASE_ROUTE;
  const caller = (request: FastifyRequest): Principal | undefined => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
    try {
      return tokens.verify(header.slice(7).trim());
    } catch {
      return undefined;
    }
  };
  const activityId = (request: FastifyRequest): number | undefined => {
    try {
      return ids.transform((request.params as { id: string }).id);
    } catch {
      return undefined;
    }
  };

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isPurchase(request)) return done();
    const id = activityId(request);
    if (id === undefined || !soldOut.has(id)) return done();
    const activity = catalog.peek(id);
    if (!activity || Date.now() >= activity.endAt || !caller(request)) return done();
    metrics.purchases.inc({ outcome: 'SOLD_OUT' });
    void reply.code(soldOutAnswer.status).type('application/json; charset=utf-8').send(soldOutPayload);
  });

  fastify.addHook('preHandler', (request, reply, done) => {
    if (!isPurchase(request)) return done();
    const principal = caller(request);
    const id = activityId(request);
    const body = request.body;
    if (!principal || id === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return done();
    const dto = Object.assign(new PurchaseDto(), body);
    if (validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).length > 0) return done();
    purchases.purchase(id, principal, dto.token, request.ip).then(
      (accepted) => void reply.code(202).send(accepted),
      (error: unknown) => sendError(reply, error, logger),
    );
  });
}
