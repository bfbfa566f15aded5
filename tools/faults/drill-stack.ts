import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { OrderCreateJob, QUEUES, ServiceName } from '@seckill/contracts';
import { OrderRepository } from '@seckill/order-store';
import { PaymentRepository } from '@seckill/payment-store';
import { AppConfig, bullConnection, createPrismaClient, PrismaClient, RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import {
  configToEnv,
  createTestConfig,
  createTestDatabases,
  dropTestResources,
  freePort,
  sleep,
  startTestMariaDbServer,
  startTestRedisServer,
  TestMariaDbServer,
  TestRedisServer,
  TestRedisServerOptions,
} from '@seckill/testing';

// The services of a drill as separate processes, as `npm start` runs them, over a Redis server of the drill's own
// (so a drill may kill, restart or flush it) and databases of its own (on the shared MariaDB, or on a mariadbd of the
// drill's own when the drill stops MariaDB). Used by every *.drill.ts beside this file.

/** The provider's operator key in every drill (paysim's faults, its request log). */
export const PROVIDER_ADMIN_KEY = 'a-drill-provider-admin-key';

export interface DrillStackOptions {
  /** The drill's name, printed before each line it reports. */
  name: string;
  /** The services to run (started together: none needs another to start). */
  services: ServiceName[];
  /** Configuration for every service beyond the stack's defaults. */
  env?: Record<string, string>;
  /** Persistence of the drill's Redis server (none by default). */
  redis?: TestRedisServerOptions;
  /** Run MariaDB as a mariadbd of the drill's own (on its own port and data directory) rather than the shared one. */
  ownMariaDb?: boolean;
}

interface Service {
  child: ChildProcess;
  /** The last lines it printed, to say why it died or did not become ready. */
  tail: string[];
}

/** How long a service may take to become ready: the machine the drills run on may be busy. */
const READY_TIMEOUT_MS = 90_000;

/** A drill's running system: its servers, its service processes, and plain clients to look at Redis and MySQL. */
export class DrillStack {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly stock: StockService;
  readonly core: PrismaClient;
  readonly shards: PrismaClient[];
  readonly orders: OrderRepository;
  readonly payments: PaymentRepository;
  readonly orderCreateQueue: Queue<OrderCreateJob>;
  private readonly services = new Map<ServiceName, Service>();

  private constructor(
    readonly name: string,
    readonly config: AppConfig,
    readonly redisServer: TestRedisServer,
    readonly mariaDb: TestMariaDbServer | undefined,
  ) {
    // The drill's own clients keep retrying through an outage of the server they watch.
    this.redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    this.redis.on('error', () => undefined);
    this.keys = new RedisKeys(config.REDIS_KEY_PREFIX);
    this.stock = new StockService(this.redis, this.keys);
    this.core = createPrismaClient(config.DATABASE_URL, 2);
    this.shards = config.ORDER_SHARD_URLS.map((url) => createPrismaClient(url, 2));
    this.orders = new OrderRepository(config, this.shards);
    this.payments = new PaymentRepository(this.core);
    this.orderCreateQueue = new Queue<OrderCreateJob>(QUEUES.orderCreate, { connection: bullConnection(config), prefix: this.keys.bullPrefix });
    this.orderCreateQueue.on('error', () => undefined);
  }

  /** Starts the servers, creates and migrates the databases, and starts the services, each once ready. */
  static async start(options: DrillStackOptions): Promise<DrillStack> {
    const redisServer = await startTestRedisServer(options.redis);
    const mariaDb = options.ownMariaDb ? await startTestMariaDbServer() : undefined;
    const ports = Object.fromEntries(
      await Promise.all(['SECKILL', 'ORDER', 'ADMIN', 'PAYMENT', 'PAYSIM', 'AUTH'].map(async (name) => [`${name}_PORT`, String(await freePort())])),
    ) as Record<string, string>;
    const databases: Record<string, string> = {};
    if (mariaDb) {
      const id = Math.random().toString(16).slice(2, 10);
      databases.DATABASE_URL = `${mariaDb.url}/seckill_d${id}`;
      databases.ORDER_SHARD_URLS = `${mariaDb.url}/seckill_d${id}_o0,${mariaDb.url}/seckill_d${id}_o1`;
    }
    const config = createTestConfig({
      ...ports,
      ...databases,
      REDIS_URL: redisServer.url,
      LOG_LEVEL: 'warn',
      PROVIDER_ADMIN_KEY,
      PAYMENT_PROVIDER_URL: `http://127.0.0.1:${ports.PAYSIM_PORT}`,
      PAYSIM_CALLBACK_URL: `http://127.0.0.1:${ports.PAYMENT_PORT}/api/payments/callback`,
      PAYMENT_WEBHOOK_SECRET: 'a-drill-webhook-secret-of-length',
      // Every shopper of a drill comes from 127.0.0.1: the per-address limits would refuse them.
      RATE_LIMIT_IP_ALLOWLIST: '127.0.0.1',
      ORDER_SWEEP_INTERVAL_MS: '1000',
      ORDER_SWEEP_AFTER_MS: '5000',
      ORDER_DRAIN_RATE_PER_SECOND: '200',
      ...options.env,
    });
    await createTestDatabases(config);
    const stack = new DrillStack(options.name, config, redisServer, mariaDb);
    try {
      await Promise.all(options.services.map((service) => stack.startService(service)));
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  /** Prints one line of the drill's report: what it broke, what it saw, what it verified. */
  log(line: string): void {
    console.log(`[${this.name}] ${line}`);
  }

  url(service: ServiceName): string {
    const port = {
      auth: this.config.AUTH_PORT,
      seckill: this.config.SECKILL_PORT,
      order: this.config.ORDER_PORT,
      payment: this.config.PAYMENT_PORT,
      admin: this.config.ADMIN_PORT,
      paysim: this.config.PAYSIM_PORT,
    }[service];
    return `http://127.0.0.1:${port}`;
  }

  /** The process id of a running service. */
  pid(service: ServiceName): number {
    const pid = this.services.get(service)?.child.pid;
    if (pid === undefined) throw new Error(`${service} is not running`);
    return pid;
  }

  /** Starts a service as a child process and waits until its /health/ready answers 200. */
  async startService(name: ServiceName, overrides: Record<string, string> = {}): Promise<void> {
    const child = spawn(process.execPath, [join(__dirname, `../../apps/${name}/src/main.js`)], {
      env: { ...process.env, ...configToEnv(this.config), ...overrides },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service: Service = { child, tail: [] };
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        service.tail.push(...chunk.toString().split('\n').filter(Boolean).map((line) => line.slice(0, 300)));
        service.tail.splice(0, Math.max(0, service.tail.length - 20));
      });
    }
    // Never outlive the drill, even when it ends without its after() hooks.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    this.services.set(name, service);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await fetch(`${this.url(name)}/health/ready`).catch(() => undefined))?.ok) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`${name} did not become ready (exit ${child.exitCode}): ${service.tail.slice(-8).join(' | ')}`);
      }
      await sleep(200);
    }
  }

  /** Kills a service with a signal and waits until it is gone; returns the pid it had. */
  async kill(name: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
    const service = this.services.get(name);
    if (!service) throw new Error(`${name} is not running`);
    this.services.delete(name);
    const { child } = service;
    const pid = child.pid ?? 0;
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
        if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      });
    }
    return pid;
  }

  /** Sends a signal to a running service without waiting (SIGSTOP and SIGCONT freeze and thaw it). */
  signal(name: ServiceName, signal: NodeJS.Signals): void {
    this.services.get(name)?.child.kill(signal);
  }

  /** Services that died on their own (not killed by the drill), with their last lines. */
  casualties(): string[] {
    return [...this.services]
      .filter(([, service]) => service.child.exitCode !== null)
      .map(([name, service]) => `${name} exited with ${service.child.exitCode}: ${service.tail.slice(-5).join(' | ')}`);
  }

  /** Stops every service (SIGTERM, then SIGKILL), closes the drill's clients, drops its databases, removes its servers. */
  async close(): Promise<void> {
    await Promise.all([...this.services.keys()].map((name) => this.kill(name, 'SIGTERM')));
    await this.orderCreateQueue.close().catch(() => undefined);
    await Promise.allSettled([this.core, ...this.shards].map((client) => client.$disconnect()));
    this.redis.disconnect();
    if (this.mariaDb) await this.mariaDb.remove();
    else await dropTestResources(this.config).catch(() => undefined);
    await this.redisServer.remove();
  }
}
