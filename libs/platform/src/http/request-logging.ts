import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Principal } from '../auth/access-token.service';

/** The header a request id is read from (the gateway sets it) and returned in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What a request id taken from a client may look like; anything else is replaced, never logged. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the request's X-Request-Id when it is well-formed (the gateway's, so one id follows a request
 * from nginx to the service's log), else a new UUID. Fastify's own `requestIdHeader` would take the header unchecked.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && WELL_FORMED_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Probes polled every few seconds by orchestrators and Prometheus: no access line (their errors are still logged). */
const PROBE_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

export interface RequestLoggingOptions {
  /** One info line per request; errors (5xx but 503) are logged whatever this says. */
  accessLog: boolean;
  /** Who is calling, for requests whose handler did not verify a token itself (e.g. the purchase fast path). */
  verifyToken?: (token: string) => Principal;
}

/**
 * Gives every request an id (returned in X-Request-Id) and logs each request once, when its answer is sent: an
 * access line at info when enabled (not for health and metrics probes), an error line for every 5xx but 503. Both carry the method, the route, the status, the
 * time taken, the request id and the user. Nothing is built per request unless a line is written, so with the
 * access log off the hot path pays one header and one status check.
 */
export function registerRequestLogging(fastify: FastifyInstance, logger: Logger, options: RequestLoggingOptions): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  const accessLog = options.accessLog && logger.isLevelEnabled('info');
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    // 503 is a deliberate answer (shed, switched off, a dependency down), counted in metrics: an error line for each
    // would flood the log exactly while the service is saturated. It gets its access line like any other answer.
    if (status >= 500 && status !== 503) logger.error(describe(request, reply, options), summary(request, reply));
    else if (accessLog && !PROBE_ROUTES.has(request.routeOptions.url ?? '')) {
      logger.info(describe(request, reply, options), summary(request, reply));
    }
    done();
  });
}

function summary(request: FastifyRequest, reply: FastifyReply): string {
  return `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`;
}

function describe(request: FastifyRequest, reply: FastifyReply, options: RequestLoggingOptions): Record<string, unknown> {
  return {
    reqId: request.id,
    method: request.method,
    route: request.routeOptions.url ?? 'unmatched',
    url: request.url,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    userId: userOf(request, options),
    ip: request.ip,
  };
}

/** The caller's user id: from the guard's verified principal, or by verifying the Bearer token now; never unverified. */
function userOf(request: FastifyRequest, options: RequestLoggingOptions): string | undefined {
  const principal = (request as FastifyRequest & { principal?: Principal }).principal;
  if (principal) return principal.userId;
  const header = request.headers.authorization;
  if (!options.verifyToken || typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
  try {
    return options.verifyToken(header.slice(7).trim()).userId;
  } catch {
    return undefined;
  }
}
