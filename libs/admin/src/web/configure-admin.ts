import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import { HttpException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '@seckill/contracts';
import { AccessTokenService, AppConfig, DomainError, mapError, ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE, sendError } from '@seckill/platform';
import { adminPrincipal } from '../session/admin-session';

/** Where the dashboard is served, and the queue board inside it. */
export const DASHBOARD_PATH = '/admin/';
export const QUEUE_BOARD_PATH = '/admin/queues';

/** The dashboard's static build (apps/dashboard, compiled by tools/build-dashboard.js), from dist/libs/admin/src/web. */
export const DASHBOARD_DIR = join(__dirname, '../../../../apps/dashboard/src');

/**
 * The admin service's HTTP extras beyond its JSON API: cookies (the operator's session for the stream and the queue
 * board), the queue board (bull-board) at /admin/queues for admins only, and the dashboard's static files at /admin.
 */
export async function configureAdmin(app: NestFastifyApplication, _config: AppConfig): Promise<void> {
  await app.register(fastifyCookie);
  await registerQueueBoard(app);
  await registerDashboard(app);
}

async function registerQueueBoard(app: NestFastifyApplication): Promise<void> {
  const tokens = app.get(AccessTokenService);
  const queues = [app.get<Queue>(ORDER_CREATE_QUEUE), app.get<Queue>(ORDER_TIMEOUT_QUEUE)];
  const board = new BullBoardFastifyAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'seckill queues' } },
  });
  const logger = new Logger('queue-board');
  // The board's routes live in this plugin's scope, so this hook guards them and nothing else.
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        adminPrincipal(request, tokens, true);
      } catch (error) {
        const navigation = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
        if (navigation && error instanceof DomainError && error.code === 'UNAUTHENTICATED') {
          // A person opening the board without a session: to the dashboard's sign-in, then back here.
          return reply.redirect(`${DASHBOARD_PATH}#/signin?next=queues`, 303);
        }
        sendError(reply, error, logger);
        return reply;
      }
    });
    scope.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => contractErrorBody(reply, payload));
    await scope.register(board.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}

/**
 * The board answers its own errors (an unknown queue or job, a body its error handler saw first) with a body of its
 * own, `{"error": {"key": "ERRORS.QUEUE_NOT_FOUND"}}`; every error of the API has the contract's body instead. Errors
 * that already have it (the guard's) pass unchanged.
 */
function contractErrorBody(reply: FastifyReply, payload: unknown): unknown {
  if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
  let body: { code?: unknown; message?: unknown; error?: { key?: unknown } } | undefined;
  try {
    body = JSON.parse(payload) as typeof body;
  } catch {
    body = undefined;
  }
  if (typeof body?.code === 'string' && body.code in ERROR_CODES) return payload;
  const key = typeof body?.error?.key === 'string' ? body.error.key.replace(/^ERRORS\./, '').replace(/_/g, ' ').toLowerCase() : undefined;
  const said = typeof body?.message === 'string' ? body.message : (key ?? 'the queue board refused the request');
  const mapped = mapError(new HttpException(said, reply.statusCode));
  void reply.status(mapped.status).headers(mapped.headers).type('application/json; charset=utf-8');
  return JSON.stringify(mapped.body);
}

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles and API only, nothing inline but its import map
 * (allowed by the hash of its exact text, computed from the page served, so editing the map cannot break it), no
 * plugins, no framing (clickjacking an operator's buttons). Styles that Preact and uPlot set from script go through
 * the CSSOM, which style-src does not govern. The queue board (/admin/queues) is bull-board's page, not covered.
 */
export function dashboardContentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1];
  const mapHash = importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap, 'utf8').digest('base64')}'`;
  return [
    "default-src 'self'",
    `script-src 'self'${mapHash}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function registerDashboard(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    new Logger('dashboard').warn(`no dashboard build in ${DASHBOARD_DIR}; run npm run build`);
    return;
  }
  const policy = dashboardContentSecurityPolicy(readFileSync(join(DASHBOARD_DIR, 'index.html'), 'utf8'));
  await app.register(fastifyStatic, {
    root: DASHBOARD_DIR,
    prefix: DASHBOARD_PATH,
    // The queue board registers @fastify/static in its own scope, which would clash with a reply decorator here.
    decorateReply: false,
    index: 'index.html',
    setHeaders: (reply) => {
      void reply.header('content-security-policy', policy);
    },
  });
  // The page's relative links need the trailing slash.
  app.getHttpAdapter().getInstance().get(DASHBOARD_PATH.slice(0, -1), (_request, reply) => reply.redirect(DASHBOARD_PATH, 301));
}
