/**
 * Helpers for integration tests against the real MariaDB and Redis: every test file gets its own databases and
 * Redis key prefix, and removes them when it ends, so files run in any order and in parallel.
 */
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { ServiceName } from '@seckill/contracts';
import {
  AccessTokenService,
  AppConfig,
  createHttpApp,
  HttpAppOptions,
  defaultMigrationsDir,
  dropDatabase,
  loadConfig,
  migrateAll,
} from '@seckill/platform';

export const TEST_MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const TEST_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A configuration with its own databases and Redis prefix; pass overrides for anything else. */
export function createTestConfig(overrides: Record<string, string> = {}): AppConfig {
  const id = randomBytes(4).toString('hex');
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: `${TEST_MYSQL}/seckill_t${id}`,
    ORDER_SHARD_URLS: `${TEST_MYSQL}/seckill_t${id}_o0,${TEST_MYSQL}/seckill_t${id}_o1`,
    ORDER_SHARD_TABLES: '8',
    REDIS_URL: TEST_REDIS,
    REDIS_KEY_PREFIX: `t${id}:`,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'admin-password',
    // Every service sheds load while its event loop lags; on a shared test machine the lag measures the machine
    // (other test files, a client in the same process), not the service. Tests of shedding set their own limit.
    SHED_MAX_EVENT_LOOP_DELAY_MS: '60000',
    ...overrides,
  });
}

/** The environment that gives a service process this configuration (for tests that run services as children). */
export function configToEnv(config: AppConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    env[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}

/** Creates and migrates the test configuration's databases. */
export async function createTestDatabases(config: AppConfig): Promise<void> {
  await migrateAll({
    coreUrl: config.DATABASE_URL,
    shardUrls: config.ORDER_SHARD_URLS,
    shardTables: config.ORDER_SHARD_TABLES,
    migrationsDir: defaultMigrationsDir(),
  });
}

/** Drops the test configuration's databases and deletes every Redis key under its prefix. */
export async function dropTestResources(config: AppConfig): Promise<void> {
  for (const url of [config.DATABASE_URL, ...config.ORDER_SHARD_URLS]) await dropDatabase(url);
  await deleteRedisPrefix(config.REDIS_URL, config.REDIS_KEY_PREFIX);
}

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  /** http://127.0.0.1:<port> of the listening app. */
  url: string;
  close(): Promise<void>;
}

/** Boots a service's root module on a free port, as its main() would. */
export async function startTestApp(
  service: ServiceName,
  module: DynamicModule,
  config: AppConfig,
  configure?: HttpAppOptions['configure'],
): Promise<TestApp> {
  const app = await createHttpApp(module, { service, config, docs: false, configure });
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    // A failed start (e.g. MariaDB refusing connections) must not leave timers and connections keeping the test alive.
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** Mints an access token as the auth service would (a load test holding JWT_SECRET may do the same). */
export function mintToken(config: AppConfig, userId: string | number, role: 'user' | 'admin' = 'user'): string {
  return new AccessTokenService(config).sign({ userId: String(userId), role }).accessToken;
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch() with a JSON body and an optional Bearer token; parses the JSON answer. */
export async function call<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A TCP port of 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` until it holds; fails the test naming `what` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
