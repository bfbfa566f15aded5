import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** Fastify route config of a route that needs its request's exact bytes (set with Nest's @RouteConfig). */
export const KEEP_RAW_BODY = { rawBody: true } as const;

/** A request whose route asked for its raw body. */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Sets the app's JSON body parser (in place of the one Nest would register at init) to one that reads the body as
 * bytes, keeps them on the request for routes whose config has `rawBody: true` (a signature covers bytes, and
 * re-serialising the parsed JSON would not give them back), and parses exactly as Fastify's own parser does, with
 * the same errors. Other routes keep nothing. Call before the app initialises.
 */
export function keepRawBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: fastify.initialConfig.bodyLimit }, (request, body, done) => {
    if ((request.routeOptions.config as { rawBody?: boolean } | undefined)?.rawBody === true) (request as RawBodyRequest).rawBody = body;
    parseJson(request as RawBodyRequest, body.toString('utf8'), done);
  });
}
