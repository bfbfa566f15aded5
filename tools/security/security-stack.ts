/**
 * All six services in one process on one test configuration (own databases, own Redis prefix), wired to each other
 * as `npm start` wires them (payment ↔ paysim, admin → auth), each with the routes it serves recorded from its
 * Fastify instance. The security tests run against this: every route of every service, as deployed (OpenAPI on).
 */
import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureAdmin } from '@seckill/admin';
import { ServiceName } from '@seckill/contracts';
import { configurePaysim } from '@seckill/paysim';
import { AppConfig, createHttpApp, HttpAppOptions } from '@seckill/platform';
import {
  countState,
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  freePort,
  KeyFilter,
  RouteRecorder,
  ServedRoute,
  sleep,
  stateDifferences,
  StateCounts,
} from '@seckill/testing';
import { AppModule as AdminApp } from '../../apps/admin/src/app.module';
import { AppModule as AuthApp } from '../../apps/auth/src/app.module';
import { AppModule as OrderApp } from '../../apps/order/src/app.module';
import { AppModule as PaymentApp } from '../../apps/payment/src/app.module';
import { AppModule as PaysimApp } from '../../apps/paysim/src/app.module';
import { AppModule as SeckillApp } from '../../apps/seckill/src/app.module';
import { configureSeckill } from '../../apps/seckill/src/configure';

export interface StackApp {
  service: ServiceName;
  app: NestFastifyApplication;
  url: string;
  /** What this instance serves, from its Fastify instance. */
  routes: ServedRoute[];
}

export interface SecurityStack {
  config: AppConfig;
  apps: Record<ServiceName, StackApp>;
  /** A second seckill instance with the purchase fast path off: the controller is the only purchase door. */
  seckillController?: StackApp;
  close(): Promise<void>;
}

const SERVICES: Record<ServiceName, { module: (config: AppConfig) => DynamicModule; configure?: HttpAppOptions['configure'] }> = {
  auth: { module: (config) => AuthApp.register(config) },
  seckill: { module: (config) => SeckillApp.register(config), configure: configureSeckill },
  order: { module: (config) => OrderApp.register(config) },
  payment: { module: (config) => PaymentApp.register(config) },
  admin: { module: (config) => AdminApp.register(config), configure: configureAdmin },
  paysim: { module: (config) => PaysimApp.register(config), configure: (app) => configurePaysim(app) },
};

const NAMES = Object.keys(SERVICES) as ServiceName[];

async function startApp(
  service: ServiceName,
  config: AppConfig,
  port: number,
  configure: HttpAppOptions['configure'] = SERVICES[service].configure,
): Promise<StackApp> {
  const recorder = new RouteRecorder();
  const app = await createHttpApp(SERVICES[service].module(config), { service, config, docs: true, configure: recorder.wrap(configure) });
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return { service, app, url: `http://127.0.0.1:${port}`, routes: recorder.routes };
}

/**
 * Creates the databases and starts the six services (and, with `controllerDoor`, a second seckill without the
 * purchase fast path). `env` overrides configuration (e.g. looser limits for many requests from one address).
 */
export async function startSecurityStack(options: { env?: Record<string, string>; controllerDoor?: boolean } = {}): Promise<SecurityStack> {
  // The services call each other at configured ports, taken free a moment before they listen: on a machine shared
  // with other test files one may be taken in between, and then the stack starts again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt === 3) throw error;
    }
  }
}

async function startOnce(options: { env?: Record<string, string>; controllerDoor?: boolean }): Promise<SecurityStack> {
  const ports = Object.fromEntries(await Promise.all(NAMES.map(async (name) => [name, await freePort()] as const))) as Record<ServiceName, number>;
  const local = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`;
  const config = createTestConfig({
    AUTH_PORT: String(ports.auth),
    SECKILL_PORT: String(ports.seckill),
    ORDER_PORT: String(ports.order),
    PAYMENT_PORT: String(ports.payment),
    ADMIN_PORT: String(ports.admin),
    PAYSIM_PORT: String(ports.paysim),
    AUTH_URL: local('auth'),
    PAYMENT_PROVIDER_URL: local('paysim'),
    PAYSIM_CALLBACK_URL: `${local('payment')}/api/payments/callback`,
    // Six apps (seven) in one process on a MariaDB shared with other test files: small pools.
    DATABASE_POOL_SIZE: '2',
    ...options.env,
  });
  await createTestDatabases(config);
  const started: StackApp[] = [];
  const close = async () => {
    await Promise.all(started.map((s) => s.app.close().catch(() => undefined)));
    await dropTestResources(config);
  };
  try {
    // One at a time: boots are CPU-bound, and in order, so that a service finds the ones it calls already up.
    for (const name of ['paysim', 'auth', 'seckill', 'order', 'payment', 'admin'] as const) started.push(await startApp(name, config, ports[name]));
    let seckillController: StackApp | undefined;
    if (options.controllerDoor) {
      seckillController = await startApp('seckill', config, await freePort(), (app, appConfig) => configureSeckill(app, appConfig, { fastPath: false }));
      started.push(seckillController);
    }
    const apps = Object.fromEntries(started.filter((s) => s !== seckillController).map((s) => [s.service, s])) as Record<ServiceName, StackApp>;
    return { config, apps, seckillController, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Waits until what the services set up or retire in the background (a new sale's stream, per-second rate windows,
 * leases) has settled: the same counts twice in a row, half a second apart (10 s at most). Then a count taken before
 * a test and one after differ only by what the test did.
 */
export async function settledState(stack: SecurityStack, ignore: KeyFilter): Promise<StateCounts> {
  let last = await countState(stack.config, ignore);
  for (let stable = 0, tries = 0; stable < 2 && tries < 20; tries++) {
    await sleep(500);
    const now = await countState(stack.config, ignore);
    stable = stateDifferences(last, now).length === 0 ? stable + 1 : 0;
    last = now;
  }
  return last;
}
