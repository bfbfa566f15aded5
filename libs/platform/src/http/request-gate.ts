import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import proxyAddr from '@fastify/proxy-addr';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import type { MetricsService } from '../metrics/metrics.service';
import { REQUEST_ID_HEADER, requestIdOf } from './request-logging';

/**
 * A service's own first look at a request, on Node's `request` event, before Fastify routes it: it either answers the
 * request itself (with `answer`) or hands it on to Fastify (`next`), untouched or with the body it has read
 * (`next(body)`). For the few answers that are the same for everyone and must cost almost nothing (the sell-out flood,
 * see the seckill service's sold-out gate): Fastify's routing, hooks, body parser and reply cost more than the answer.
 */
export type RequestGate = (request: IncomingMessage, response: ServerResponse, next: (body?: Buffer) => void) => void;

/** What a gate's answer carries besides its status and body, for the metrics and the access log. */
export interface GateAnswer {
  status: number;
  /** The answer's JSON, already serialised. */
  body: string;
  /** The route the request would have matched (the metrics' route label), e.g. `/api/activities/:id/purchase`. */
  route: string;
  /** The caller, when the gate verified an access token (the access log's userId). */
  userId?: string;
}

/** Writes gate answers as Fastify would (the same headers as every answer of the service), counted and logged alike. */
export interface GateResponder {
  answer(request: IncomingMessage, response: ServerResponse, answer: GateAnswer, startedAt: number): void;
}

/** A body a gate read and handed on: Fastify's body parser reads it from here instead of the spent request stream. */
const READ_BODY = Symbol('seckill.gate.body');

/** Where createHttpApp keeps the gate once the service has built it (the server exists before the app does). */
export interface GateSlot {
  gate?: RequestGate;
  responder?: GateResponder;
}

const slots = new WeakMap<object, GateSlot>();

/** Called by createHttpApp: the app's gate slot, for installRequestGate. */
export function attachGateSlot(app: NestFastifyApplication, slot: GateSlot): void {
  slots.set(app, slot);
}

/**
 * Puts a gate in front of the app's routes (from a service's configure step, before it listens): `build` gets the
 * responder that writes its answers. Also lets Fastify parse the bodies the gate reads and hands on.
 */
export function installRequestGate(app: NestFastifyApplication, build: (responder: GateResponder) => RequestGate): void {
  const slot = slots.get(app);
  if (slot?.responder === undefined) throw new Error('installRequestGate: the app was not made by createHttpApp');
  if (slot.gate !== undefined) throw new Error('installRequestGate: the app has a gate already');
  registerGateBodies(app.getHttpAdapter().getInstance());
  slot.gate = build(slot.responder);
}

/**
 * Fastify's server factory with a gate in front: the same HTTP/1.1 server Fastify builds by default (its timeouts
 * copied from Fastify's options), whose `request` event goes to the gate first when one is set.
 */
export function gatedServerFactory(slot: GateSlot): FastifyServerFactory {
  return (handler, options) => {
    const server = createServer(options.http ?? {}, (request, response) => {
      const gate = slot.gate;
      if (gate === undefined) return handler(request, response);
      gate(request, response, (body) => {
        if (body !== undefined) (request as IncomingMessage & { [READ_BODY]?: Buffer })[READ_BODY] = body;
        handler(request, response);
      });
    });
    // What Fastify sets on the server it builds itself (fastify/lib/server.js), from the same options (by then
    // filled with Fastify's defaults).
    const { keepAliveTimeout, requestTimeout, connectionTimeout, maxRequestsPerSocket } = options as Record<string, unknown>;
    if (typeof keepAliveTimeout === 'number') server.keepAliveTimeout = keepAliveTimeout;
    if (typeof requestTimeout === 'number') server.requestTimeout = requestTimeout;
    if (typeof connectionTimeout === 'number') server.setTimeout(connectionTimeout);
    if (typeof maxRequestsPerSocket === 'number' && maxRequestsPerSocket > 0) server.maxRequestsPerSocket = maxRequestsPerSocket;
    return server;
  };
}

/**
 * Lets Fastify parse a body a gate has already read: a preParsing hook that gives the body parser a stream of those
 * bytes in place of the spent request stream. Requests the gate handed on untouched pass as they are.
 */
export function registerGateBodies(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const body = (request.raw as IncomingMessage & { [READ_BODY]?: Buffer })[READ_BODY];
    if (body === undefined) return done(null, payload);
    const replay = Readable.from([body], { objectMode: false }) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = body.length;
    done(null, replay);
  });
}

/**
 * The responder of createHttpApp: a gate's answer gets what every answer of the service gets from Fastify's hooks
 * (a request id, nosniff, the JSON content type), is counted in http_request_duration_seconds under its route, and
 * gets an access line when the access log is on, with the client's address as Fastify's request.ip gives it (the
 * X-Forwarded-For of TRUSTED_PROXIES read by the same library, @fastify/proxy-addr, with the same trust list).
 */
export function createGateResponder(
  metrics: MetricsService,
  logger: Logger,
  options: { accessLog: boolean; trustedProxies: string[] },
): GateResponder {
  const counted = new Map<string, ReturnType<MetricsService['httpRequests']['labels']>>();
  const lines = options.accessLog && logger.isLevelEnabled('info');
  const trusted = options.trustedProxies.length > 0 ? proxyAddr.compile(options.trustedProxies) : undefined;
  const clientAddress = (request: IncomingMessage): string | undefined => {
    if (trusted === undefined) return request.socket.remoteAddress;
    const addresses = proxyAddr.all(request, trusted);
    return addresses[addresses.length - 1];
  };
  return {
    answer(request, response, answer, startedAt) {
      const id = requestIdOf(request);
      response.writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(answer.body),
        'x-content-type-options': 'nosniff',
        [REQUEST_ID_HEADER]: id,
      });
      response.end(answer.body);
      const ms = performance.now() - startedAt;
      const key = `${request.method} ${answer.route} ${answer.status}`;
      let histogram = counted.get(key);
      if (histogram === undefined) {
        histogram = metrics.httpRequests.labels({ method: request.method ?? '', route: answer.route, status: String(answer.status) });
        counted.set(key, histogram);
      }
      histogram.observe(ms / 1000);
      if (lines) {
        logger.info(
          {
            reqId: id,
            method: request.method,
            route: answer.route,
            url: request.url,
            status: answer.status,
            ms: Math.round(ms * 10) / 10,
            userId: answer.userId,
            ip: clientAddress(request),
            gate: true,
          },
          `${request.method} ${request.url} ${answer.status} ${ms.toFixed(1)} ms`,
        );
      }
    },
  };
}
