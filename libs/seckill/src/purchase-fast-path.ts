import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccessTokenService, DomainError, mapError, Principal, sendError } from '@seckill/platform';
import { PURCHASE_ROUTE } from './activities.routes';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { PURCHASE_TOKEN_MAX_LENGTH } from './dto/purchase.dto';
import { PurchaseService } from './purchase.service';

export { PURCHASE_ROUTE };

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The purchase endpoint takes the peak, and Nest's per-request machinery (router context, guard, validation and
 * parameter pipes, exception filter) costs about a quarter of its CPU. A preHandler hook serves the requests that
 * need none of it, with the same route, token parsing, id pipe, DTO rules and service as ActivitiesController, so
 * both doors give the same answer to any request (a test sends the same requests through each and compares).
 *
 * Precedence, the same at both doors:
 *   0. after a sell-out, the sold-out gate (sold-out-gate.ts) answers the requests that would get 410 SOLD_OUT at
 *      step 5, ahead of Fastify, so before load shedding too; it hands every other request on to Fastify;
 *   1. load shedding at the door, 503 BUSY (onRequest, every route);
 *   2. path, body size, media type, JSON syntax: 414, 413, 415, 400 (Fastify, before any route hook);
 *   3. access token: 401 (here: fall through, and the controller's guard answers);
 *   4. activity id, then body fields: 400 VALIDATION_FAILED (here: fall through, and the controller's pipes answer
 *      with the details);
 *   5. PurchaseService.purchase: the shed switch (503 DEGRADED), what memory knows of the activity (404, 409
 *      NOT_STARTED, 410 ENDED, 410 SOLD_OUT), limits (429), the purchase token (400 INVALID_SECKILL_TOKEN), then
 *      one Redis call (202, 409 ALREADY_PURCHASED, 410 SOLD_OUT or ENDED, 429).
 * The hook only ever answers from step 5, which is the very call the controller makes, or, after a sell-out, with
 * the SOLD_OUT answer that call would give (PurchaseService.soldOutFromMemory: no shedding, the activity fresh in
 * memory, on sale, sold out), built once instead of thrown and mapped per request.
 */
/**
 * The purchase token of a body PurchaseDto accepts as it is, else undefined (the request falls through to the
 * controller, whose pipes answer with the details). Written out rather than run through class-validator, which cost
 * a tenth of a purchase's CPU here: it accepts a subset of what the DTO accepts — a plain object with no field but
 * `token`, a non-empty string of at most PURCHASE_TOKEN_MAX_LENGTH UTF-16 units (class-validator counts a surrogate
 * pair as one character, so a token it would still take may fall through; it never works the other way). No other
 * field means none of the names the global pipe refuses first either (see droppedFields). A test sends the same
 * bodies through both doors.
 */
export function purchaseTokenOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'token') return undefined;
  const token = (body as { token: unknown }).token;
  return typeof token === 'string' && token.length > 0 && token.length <= PURCHASE_TOKEN_MAX_LENGTH ? token : undefined;
}

/**
 * The answer PurchaseService.purchase gives after a sell-out (its DomainError through the error mapper), built once for
 * the two places that send it from memory: the fast path and the sold-out gate.
 */
export const SOLD_OUT_ANSWER = (() => {
  const mapped = mapError(new DomainError('SOLD_OUT', 'sold out'));
  return { status: mapped.status, headers: mapped.headers, body: JSON.stringify(mapped.body) };
})();

/** The caller an Authorization header names, or undefined where the guard would answer 401 (both doors, the gate). */
export function principalOrUndefined(tokens: AccessTokenService, authorization: string | string[] | undefined): Principal | undefined {
  try {
    return tokens.authenticate(authorization);
  } catch {
    return undefined;
  }
}

/** The activity id of a path parameter, or undefined where ActivityIdPipe would answer 400. */
export function activityIdOrUndefined(ids: ActivityIdPipe, value: string): number | undefined {
  try {
    return ids.transform(value);
  } catch {
    return undefined;
  }
}

export function registerPurchaseFastPath(app: NestFastifyApplication): void {
  const tokens = app.get(AccessTokenService);
  const purchases = app.get(PurchaseService);
  const logger = new Logger('purchase');
  const ids = new ActivityIdPipe();

  app.getHttpAdapter().getInstance().addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST' || request.routeOptions.url !== PURCHASE_ROUTE) return done();
    const principal = principalOrUndefined(tokens, request.headers.authorization);
    if (!principal) return done();
    const id = activityIdOrUndefined(ids, (request.params as { id: string }).id);
    if (id === undefined) return done();
    const token = purchaseTokenOf(request.body);
    if (token === undefined) return done();
    if (purchases.soldOutFromMemory(id, Date.now())) {
      void reply.status(SOLD_OUT_ANSWER.status).headers(SOLD_OUT_ANSWER.headers).type(JSON_TYPE).send(SOLD_OUT_ANSWER.body);
      return;
    }
    purchases.purchase(id, principal, token, request.ip).then(
      // The body as Fastify's serializer would write it (JSON.stringify, same type), written here: the route's
      // serializer lookup and the object's serialisation cost more than the string.
      (accepted) => void reply.code(202).type(JSON_TYPE).send(`{"reservationId":${JSON.stringify(accepted.reservationId)},"status":"QUEUED"}`),
      (error: unknown) => sendError(reply, error, logger),
    );
  });
}
