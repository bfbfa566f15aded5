import { DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { ServiceName } from '@seckill/contracts';
import { AppConfig } from '../config/app-config';
import { loadConfig } from '../config/load-config';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { createValidationPipe } from '../errors/validation';
import { PinoLogger } from '../logging/pino-logger';
import { AccessTokenService } from '../auth/access-token.service';
import { registerRequestLogging, requestIdOf } from './request-logging';
import { createOpenApiDocument } from './openapi';
import { MetricsService } from '../metrics/metrics.service';
import { registerLoadShedding } from './load-shedding';
import { BODY_LIMIT_BYTES, clientErrorHandler, frameworkErrors, registerRequestEdge } from './request-edge';
import { attachGateSlot, createGateResponder, GateSlot, gatedServerFactory } from './request-gate';

export interface HttpAppOptions {
  service: ServiceName;
  config: AppConfig;
  /** Serve the OpenAPI document and its UI at /docs (default true). */
  docs?: boolean;
  /** Service-specific setup of the Fastify instance (e.g. the purchase fast path), before any route is served. */
  configure?: (app: NestFastifyApplication, config: AppConfig) => void | Promise<void>;
}

/**
 * Creates a service's Nest application on Fastify with everything the API contract asks of every service:
 * the request edge (JSON-only bodies up to 16 KiB, path limits, the error body for what fails before routing; see
 * registerRequestEdge), load shedding (registerLoadShedding), the global validation pipe and exception filter (so
 * Fastify's own errors get the error body too), request metrics, OpenAPI at /docs and graceful shutdown. The caller
 * listens.
 */
export async function createHttpApp(rootModule: DynamicModule, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  // The server Fastify would build, with room for a gate in front of the router (installRequestGate).
  const gate: GateSlot = {};
  const adapter = new FastifyAdapter({
    serverFactory: gatedServerFactory(gate),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.TRUSTED_PROXIES.length > 0 ? config.TRUSTED_PROXIES : false,
    return503OnClosing: true,
    logger: false,
    frameworkErrors,
    clientErrorHandler,
    genReqId: requestIdOf,
    // No service uses Nest middleware (app.use, NestModule.configure): @fastify/middie's onRequest hook would only
    // cost every request a pass over an empty list (measured on the purchase path). A middleware added one day fails
    // at startup, not silently.
    skipMiddie: true,
  });
  const logger = new PinoLogger(options.service, config.LOG_LEVEL, config.LOG_FORMAT, config.NODE_ENV);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { logger, bufferLogs: true });

  const fastify = app.getHttpAdapter().getInstance();
  const tokens = app.get(AccessTokenService);
  registerRequestLogging(fastify, logger.pino, { accessLog: config.ACCESS_LOG, verifyToken: (token) => tokens.verify(token) });
  registerRequestEdge(app);
  // Every service sheds load at the door (503 BUSY before any parsing or handler) while saturated, not only the hot
  // path: an auth or order instance drowning in requests must say so fast rather than time out for everyone.
  registerLoadShedding(fastify, {
    maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS,
    maxInFlight: config.SHED_MAX_IN_FLIGHT,
  });

  const metrics = app.get(MetricsService);
  gate.responder = createGateResponder(metrics, logger.pino, { accessLog: config.ACCESS_LOG, trustedProxies: config.TRUSTED_PROXIES });
  attachGateSlot(app, gate);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  await options.configure?.(app, config);
  // Browsers on other origins (the shop page when auth listens on another port, as under npm start) may call in.
  if (config.CORS_ALLOWED_ORIGINS.length > 0) app.enableCors({ origin: config.CORS_ALLOWED_ORIGINS });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  if (options.docs !== false) {
    SwaggerModule.setup('docs', app, createOpenApiDocument(app, options.service));
  }
  return app;
}

/** The port a service listens on, from its <SERVICE>_PORT variable. */
export function servicePort(service: ServiceName, config: AppConfig): number {
  const ports: Record<ServiceName, number> = {
    auth: config.AUTH_PORT,
    seckill: config.SECKILL_PORT,
    order: config.ORDER_PORT,
    payment: config.PAYMENT_PORT,
    admin: config.ADMIN_PORT,
    paysim: config.PAYSIM_PORT,
  };
  return ports[service];
}

/**
 * A service's main(): validates configuration (exiting with a message naming the bad variable), builds the app
 * and listens on the service's port.
 */
export async function runService(
  service: ServiceName,
  buildModule: (config: AppConfig) => DynamicModule,
  configure?: HttpAppOptions['configure'],
): Promise<NestFastifyApplication> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${service}: ${(error as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const app = await createHttpApp(buildModule(config), { service, config, configure });
  const port = servicePort(service, config);
  await app.listen(port, config.HOST);
  new Logger('main').log(`${service} listening on http://${config.HOST}:${port}`);
  return app;
}
