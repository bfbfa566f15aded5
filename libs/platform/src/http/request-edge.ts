import type { Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, FastifyServerOptions, RawServerDefault } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { mapError } from '../errors/error-mapper';
import { sendError } from '../errors/all-exceptions.filter';

/** No endpoint takes a body larger than this (docs/api.md: 413 PAYLOAD_TOO_LARGE). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * No route's path is longer than this (the longest, the admin's job actions, stay under 200 characters); a longer
 * one is answered 414 URI_TOO_LONG before routing. Path parameters have their own, tighter bound (Fastify's
 * maxParamLength, 100 characters).
 */
export const MAX_PATH_LENGTH = 1024;

const quiet = { error: () => undefined };

/**
 * Fastify's answers to what goes wrong before a route is found (a parameter longer than maxParamLength, a
 * malformed percent-encoding), with the API's error body instead of Fastify's own.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, _request, reply) => {
  const code = (error as { code?: string }).code;
  const domain =
    code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new DomainError('URI_TOO_LONG', 'a path parameter is longer than any valid one')
      : new DomainError('VALIDATION_FAILED', 'the path is not a valid URL', { cause: error });
  // Answered from the router, before any hook: the onSend hook that adds nosniff everywhere else does not run here.
  void reply.header('x-content-type-options', 'nosniff');
  sendError(reply, domain, quiet);
};

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large, a malformed request line,
 * a request that took too long to arrive): answered on the socket with the API's error body, then closed.
 * Node would answer 431 for oversized headers; the contract has no such code, so it is 400 VALIDATION_FAILED.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const message =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'the request headers are too large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'the request took too long to arrive'
        : 'the request is not valid HTTP';
  const { status, body } = mapError(new DomainError('VALIDATION_FAILED', message));
  const payload = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n` +
        `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
    );
  }
  socket.destroy(error);
}

/**
 * Fastify route config of a route that needs its request's exact bytes (set with Nest's @RouteConfig): a signature
 * covers bytes, and re-serialising the parsed JSON would not give them back. Other routes keep nothing.
 */
export const KEEP_RAW_BODY = { rawBody: true } as const;

/** A request whose route asked for its raw body (see KEEP_RAW_BODY); undefined when the body was empty. */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * The request edge every service shares, registered before any route or hook of the service:
 * - a path longer than MAX_PATH_LENGTH is 414 URI_TOO_LONG, before routing;
 * - bodies: JSON only (16 KiB at most). An empty body is no body, whatever its Content-Type, so a POST to an endpoint
 *   that takes none is accepted; any other non-empty body (form-encoded, text, XML, or JSON sent without a
 *   Content-Type) is 415. Registering the JSON parser here also keeps Nest from adding its form-encoded parser. A route
 *   configured with KEEP_RAW_BODY also gets the bytes of its JSON body.
 */
export function registerRequestEdge(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Every answer, error or not, static file or JSON: a browser must never take a JSON body (which may echo what a
  // client sent) for a script or a page. An onSend hook on the root, added before any plugin, so that every scope
  // (the queue board's, the static files') inherits it; one header, so no helmet with its dozen defaults.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  const tooLong = mapError(new DomainError('URI_TOO_LONG', 'the path is longer than any valid one'));
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    const url = request.url;
    if (url.length > MAX_PATH_LENGTH) {
      const query = url.indexOf('?');
      if ((query === -1 ? url.length : query) > MAX_PATH_LENGTH) {
        void reply.status(tooLong.status).type('application/json; charset=utf-8').send(tooLong.body);
        return;
      }
    }
    done();
  });

  const json = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    if ((request.routeOptions.config as { rawBody?: boolean } | undefined)?.rawBody === true) (request as RawBodyRequest).rawBody = body;
    // Fastify's parser answers through `done` (its type also allows a promise, which this one never returns).
    void json(request, body.toString('utf8'), done);
  });
  fastify.removeContentTypeParser('text/plain');
  // '*' is every other Content-Type, and a body sent without one.
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    done(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON, sent as application/json'), undefined);
  });
}
