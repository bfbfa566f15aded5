import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { AppConfig, installRequestGate } from '@seckill/platform';
import { registerHttpCaching, registerPurchaseFastPath, soldOutGate } from '@seckill/seckill';

/** The shop page's build (tools/build-shop.js), beside this compiled file's app in dist/. */
export const SHOP_DIR = join(__dirname, '../../shop/public');
/** Hashed assets never change under their name: cached for a year; index.html is revalidated every time. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';
const PAGE_CACHE = 'no-cache';

/**
 * The hot path serves well-formed purchases in Fastify's hooks, ahead of Nest's per-request machinery (see registerPurchaseFastPath),
 * and after a sell-out answers them ahead of Fastify itself (see soldOutGate);
 * catalog reads carry Cache-Control and ETag for a CDN or the gateway; and the shop page is served at /shop/.
 * `fastPath: false` leaves every purchase to the controller, with no gate (tests compare the two doors).
 */
export function configureSeckill(app: NestFastifyApplication, config: AppConfig, options: { fastPath?: boolean } = {}): void {
  const fastify = app.getHttpAdapter().getInstance();
  registerHttpCaching(fastify);
  registerShop(fastify, shopContentSecurityPolicy(config));
  if (options.fastPath !== false) {
    registerPurchaseFastPath(app);
    installRequestGate(app, (responder) => soldOutGate(app, config, responder));
  }
}

/** Serves the shop page's static build at /shop/ (gzip-free: the gateway or a CDN compresses). */
/**
 * The shop page's Content-Security-Policy: its own scripts, styles and worker (the proof-of-work solver, a file of
 * its own build, so no blob: URL), API calls to its own origin and to the auth service's when SHOP_AUTH_URL names
 * another one; nothing inline, no plugins, no framing.
 */
export function shopContentSecurityPolicy(config: AppConfig): string {
  const auth = config.SHOP_AUTH_URL === '' ? '' : ` ${config.SHOP_AUTH_URL}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${auth}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function registerShop(fastify: FastifyInstance, policy: string): void {
  if (!existsSync(join(SHOP_DIR, 'index.html'))) {
    new Logger('shop').warn(`no shop page build in ${SHOP_DIR}; run npm run build`);
    return;
  }
  fastify.get('/shop', (_request, reply) => reply.redirect('/shop/', 301));
  void fastify.register(fastifyStatic, {
    root: SHOP_DIR,
    prefix: '/shop/',
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.includes('/assets/') ? ASSET_CACHE : PAGE_CACHE);
      void reply.header('content-security-policy', policy);
    },
  });
}
