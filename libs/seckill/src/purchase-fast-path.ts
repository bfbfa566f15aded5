import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { AccessTokenService, droppedFields, Principal, sendError, VALIDATOR_OPTIONS } from '@seckill/platform';
import { PURCHASE_ROUTE } from './activities.routes';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { PurchaseDto } from './dto/purchase.dto';
import { PurchaseService } from './purchase.service';

export { PURCHASE_ROUTE };

/**
 * The purchase endpoint takes the peak, and Nest's per-request machinery (router context, guard, validation and
 * parameter pipes, exception filter) costs about a quarter of its CPU. A preHandler hook serves the requests that
 * need none of it, with the same route, token parsing, id pipe, DTO rules and service as ActivitiesController, so
 * both doors give the same answer to any request (a test sends the same requests through each and compares).
 *
 * Precedence, the same at both doors:
 *   1. load shedding at the door, 503 BUSY (onRequest, every route);
 *   2. path, body size, media type, JSON syntax: 414, 413, 415, 400 (Fastify, before any route hook);
 *   3. access token: 401 (here: fall through, and the controller's guard answers);
 *   4. activity id, then body fields: 400 VALIDATION_FAILED (here: fall through, and the controller's pipes answer
 *      with the details);
 *   5. PurchaseService.purchase: the shed switch (503 DEGRADED), what memory knows of the activity (404, 409
 *      NOT_STARTED, 410 ENDED, 410 SOLD_OUT), limits (429), the purchase token (400 INVALID_SECKILL_TOKEN), then
 *      one Redis call (202, 409 ALREADY_PURCHASED, 410 SOLD_OUT or ENDED, 429).
 * The hook only ever answers from step 5, which is the very call the controller makes.
 */
export function registerPurchaseFastPath(app: NestFastifyApplication): void {
  const tokens = app.get(AccessTokenService);
  const purchases = app.get(PurchaseService);
  const logger = new Logger('purchase');
  const ids = new ActivityIdPipe();

  const principalOf = (request: FastifyRequest): Principal | undefined => {
    try {
      return tokens.authenticate(request.headers.authorization);
    } catch {
      return undefined;
    }
  };
  const activityIdOf = (request: FastifyRequest): number | undefined => {
    try {
      return ids.transform((request.params as { id: string }).id);
    } catch {
      return undefined;
    }
  };

  app.getHttpAdapter().getInstance().addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST' || request.routeOptions.url !== PURCHASE_ROUTE) return done();
    const principal = principalOf(request);
    if (!principal) return done();
    const id = activityIdOf(request);
    const body = request.body;
    if (id === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return done();
    const dto = Object.assign(new PurchaseDto(), body);
    // Fields the global pipe refuses before class-validator sees them (see droppedFields) fall through to it too.
    if (droppedFields(body).length > 0 || validateSync(dto, VALIDATOR_OPTIONS).length > 0) return done();
    purchases.purchase(id, principal, dto.token, request.ip).then(
      (accepted) => void reply.code(202).send(accepted),
      (error: unknown) => sendError(reply, error, logger),
    );
  });
}
