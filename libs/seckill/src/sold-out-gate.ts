import type { IncomingMessage } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccessTokenService, BODY_LIMIT_BYTES, GateResponder, RequestGate } from '@seckill/platform';
import { PURCHASE_ROUTE, PURCHASE_URL } from './activities.routes';
import { ActivityIdPipe } from './dto/activity-id.pipe';
import { activityIdOrUndefined, principalOrUndefined, purchaseTokenOf, SOLD_OUT_ANSWER } from './purchase-fast-path';
import { PurchaseService } from './purchase.service';

/** The Content-Types the request edge parses as JSON that a client sends in practice; any other goes to Fastify. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/**
 * The sold-out gate. Once an activity has sold out, nearly every request its sale still gets is a purchase, and its
 * answer is the same for every shopper: 410 SOLD_OUT. Fastify's routing, hooks, body parser and reply cost more than
 * that answer, so the gate gives it on Node's `request` event (installRequestGate), ahead of Fastify, to the requests
 * that would get it at either door of the endpoint anyway (the fast path, the controller):
 *   - POST to the purchase path of an activity that PurchaseService.soldOutInMemory says is sold out (the shed switch
 *     off, the activity fresh in memory and on sale), from no origin CORS would answer (CORS_ALLOWED_ORIGINS set and an
 *     Origin header: Fastify's CORS hook must add its headers);
 *   - a JSON Content-Type, a Content-Length within the body limit, a valid access token (else 415, 413, 401 and the
 *     rest are Fastify's to answer: the request goes on untouched);
 *   - then its body, read here: a body purchaseTokenOf accepts. Any other body goes on to Fastify with the bytes read
 *     (registerGateBodies), which answers it exactly as it would have (400 with the details).
 * So the precedence of the endpoint (purchase-fast-path.ts) holds with one addition: the gate comes before load
 * shedding. An answer the gate gives is final for the shopper and costs less than the 503 that shedding would give
 * instead, so the sell-out flood is never shed into retries. The answer has the same status, headers and body as
 * the fast path's (a test compares them), and is counted as an outcome and in the request metrics alike.
 */
export function soldOutGate(app: NestFastifyApplication, config: { CORS_ALLOWED_ORIGINS: string[] }, responder: GateResponder): RequestGate {
  const tokens = app.get(AccessTokenService);
  const purchases = app.get(PurchaseService);
  const ids = new ActivityIdPipe();
  const cors = config.CORS_ALLOWED_ORIGINS.length > 0;
  if (Object.keys(SOLD_OUT_ANSWER.headers).length > 0) throw new Error('soldOutGate: the SOLD_OUT answer has headers the gate does not send');

  const activityIdOf = (url: string | undefined): number | undefined => {
    // The pattern spells the id as ActivityIdPipe does; the pipe still decides.
    const match = PURCHASE_URL.exec(url ?? '');
    return match === null ? undefined : activityIdOrUndefined(ids, match[1]);
  };

  return (request, response, next) => {
    if (request.method !== 'POST') return next();
    const id = activityIdOf(request.url);
    // A first look, uncounted: the decision is soldOutFromMemory's, once the body is in (the state may change meanwhile).
    if (id === undefined || !purchases.soldOutInMemory(id, Date.now(), false)) return next();
    const startedAt = performance.now();
    const headers = request.headers;
    if (cors && headers.origin !== undefined) return next();
    if (!JSON_TYPES.has(headers['content-type'] ?? '') || headers['transfer-encoding'] !== undefined) return next();
    const length = Number(headers['content-length']);
    if (!(length > 0 && length <= BODY_LIMIT_BYTES)) return next();
    const principal = principalOrUndefined(tokens, headers.authorization);
    if (principal === undefined) return next();

    readBody(request, (bytes) => {
      // A request that broke off (the client went away): nothing to answer.
      if (bytes === undefined) return response.destroy();
      if (purchaseTokenOf(parseJson(bytes)) === undefined || !purchases.soldOutFromMemory(id, Date.now())) return next(bytes);
      responder.answer(request, response, { status: SOLD_OUT_ANSWER.status, body: SOLD_OUT_ANSWER.body, route: PURCHASE_ROUTE, userId: principal.userId }, startedAt);
    });
  };
}

/** The request's body (Node's parser has bounded it by its Content-Length), or undefined when the request failed. */
function readBody(request: IncomingMessage, done: (bytes: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const settle = (bytes: Buffer | undefined) => {
    if (settled) return;
    settled = true;
    done(bytes);
  };
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.once('end', () => settle(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  request.once('error', () => settle(undefined));
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
