import { createHash } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyInstance, onSendHookHandler } from 'fastify';

/** Cache lifetimes, in seconds, of the public GET routes a CDN or the gateway may cache. */
export const CACHEABLE_ROUTES: Readonly<Record<string, number>> = {
  '/api/activities': 1,
  '/api/activities/:id': 1,
  '/api/activities/:id/stock': 1,
  '/api/client-config': 5,
};

/**
 * Cache-Control and a weak ETag on the public catalog reads, and 304 Not Modified when the client (or a CDN
 * revalidating) already holds that body. Attached as a route-level onSend hook to those routes only, when Nest
 * registers them, so no other request (a purchase least of all) pays for it; @fastify/etag would hash every answer.
 * Error answers are left alone (they are not cacheable).
 */
export function registerHttpCaching(fastify: FastifyInstance, routes: Readonly<Record<string, number>> = CACHEABLE_ROUTES): void {
  fastify.addHook('onRoute', (route) => {
    const maxAge = routes[route.url];
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (maxAge === undefined || !methods.includes('GET')) return;
    const hook: onSendHookHandler = (request, reply, payload, done) => {
      if (reply.statusCode !== 200 || typeof payload !== 'string') return done(null, payload);
      void reply.header('cache-control', `public, max-age=${maxAge}`);
      // client-config carries the server's clock, so its body changes every millisecond: a lifetime, no validator.
      if (route.url === '/api/client-config') return done(null, payload);
      const etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
      void reply.header('etag', etag);
      if (request.headers['if-none-match'] === etag) {
        void reply.code(304);
        return done(null, '');
      }
      done(null, payload);
    };
    const existing = route.onSend;
    route.onSend = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
}

/** Documents a catalog read's caching in OpenAPI: Cache-Control and ETag on 200, If-None-Match and its 304. */
export function ApiCachedRead(): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'the ETag of a body you hold: 304 while it is current' }),
    ApiResponse({ status: 304, description: 'Not Modified: the body you hold (If-None-Match) is current' }),
  );
}
