/**
 * The routes a running service really serves, as its Fastify instance registered them (Nest's controllers, plugins
 * such as the queue board and static files, hand-added routes alike), so that a test which must cover every route
 * derives the list from the app rather than from a hand-kept copy that can silently miss one.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig, HttpAppOptions } from '@seckill/platform';

/** One method of one route, with the URL pattern as Fastify knows it (`/api/orders/:id`, `/shop/*`). */
export interface ServedRoute {
  method: string;
  url: string;
}

/** `GET /api/orders/:id`: how a route is named in matrices and messages. */
export function routeKey(route: ServedRoute): string {
  return `${route.method} ${route.url}`;
}

/**
 * Records every route a service registers. Fastify's `onRoute` hook is its public way of seeing each route as it is
 * added, and it only sees routes added after it, so the recorder wraps the service's own `configure` and attaches
 * first (Nest adds its controllers' routes later, at init). HEAD routes Fastify derives from GET routes are left
 * out: they are the GET route.
 */
export class RouteRecorder {
  private readonly seen = new Map<string, ServedRoute>();

  /** The service's configure step with the recorder attached ahead of it; pass it to startTestApp or createHttpApp. */
  wrap(configure?: HttpAppOptions['configure']): NonNullable<HttpAppOptions['configure']> {
    return async (app: NestFastifyApplication, config: AppConfig) => {
      this.attach(app);
      await configure?.(app, config);
    };
  }

  /** Starts recording on an app whose routes are not registered yet. */
  attach(app: NestFastifyApplication): void {
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods) {
          const served = { method, url: route.url };
          this.seen.set(routeKey(served), served);
        }
      });
  }

  /** Every route recorded so far, sorted by URL then method. */
  get routes(): ServedRoute[] {
    return [...this.seen.values()]
      .filter((route) => route.method !== 'HEAD' || !this.seen.has(routeKey({ method: 'GET', url: route.url })))
      .sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  }
}

/**
 * Whether a concrete path (query string ignored) is one a route's URL pattern matches: `:name` stands for one
 * segment, a trailing `*` for the rest. For telling which served route a request in a matrix exercises.
 */
export function routeMatches(url: string, path: string): boolean {
  const escaped = url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+').replace(/\*$/, '.*');
  return new RegExp(`^${escaped}$`).test(path.split('?', 1)[0]);
}
