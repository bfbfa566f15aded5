import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { HealthService, OwnedKeys, ownerToken, REDIS, RedisKeys } from '@seckill/platform';
import { MAX_WORKERS, OrderIdGenerator } from './order-id';

/** Timing of the worker-id lease; tests pass their own (and a clock). */
export interface WorkerIdLeaseOptions {
  /** Lifetime of the lease in Redis after each renewal. */
  leaseMs: number;
  /** How often the lease is renewed (or, while none is held, sought). Well below leaseMs. */
  renewMs: number;
  /** Milliseconds; inject one in tests. */
  clock?: () => number;
}

/** Injection token to override DEFAULT_WORKER_ID_LEASE_OPTIONS. */
export const WORKER_ID_LEASE_OPTIONS = Symbol('WORKER_ID_LEASE_OPTIONS');

/** A renewal every 5 s keeps a 30 s lease through several missed renewals (a slow Redis, a GC pause). */
export const DEFAULT_WORKER_ID_LEASE_OPTIONS: Readonly<WorkerIdLeaseOptions> = Object.freeze({ leaseMs: 30_000, renewMs: 5_000 });

/** The readiness check's name: not ready while this process holds no worker id. */
export const WORKER_ID_HEALTH_CHECK = 'order-worker-id';

interface Held {
  workerId: number;
  /** Local time until which the lease is surely still ours: Redis counts its lifetime from later than this. */
  validUntil: number;
}

/**
 * Gives this process a worker number no other live process holds (a Redis lease), so that order ids made by
 * concurrent workers never collide; also the process's OrderIdGenerator.
 *
 * The lease is a key holding this process's random token, taken with SET NX and renewed and released by
 * compare-and-set scripts (OwnedKeys), so a process never extends or deletes a lease another took. Ids are issued
 * only while the lease is surely ours: until the last successful renewal plus its lifetime, by the local clock. A
 * lease that lapsed (Redis unreachable longer than its lifetime, a long pause) is sought again at every renewal
 * tick, the same worker id first; until one is held, order creation fails (its jobs retry) and readiness says so.
 */
@Injectable()
export class WorkerIdLease implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerIdLease.name);
  private readonly token = ownerToken();
  private readonly owned: OwnedKeys;
  private readonly options: Required<WorkerIdLeaseOptions>;
  /** One generator per worker id ever held, so ids stay monotonic if the same id comes back. */
  private readonly generators = new Map<number, OrderIdGenerator>();
  private held: Held | undefined;
  private lastWorkerId = 0;
  private timer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Optional() private readonly health?: HealthService,
    @Optional() @Inject(WORKER_ID_LEASE_OPTIONS) options?: WorkerIdLeaseOptions,
  ) {
    this.owned = new OwnedKeys(redis);
    this.options = { clock: Date.now, ...DEFAULT_WORKER_ID_LEASE_OPTIONS, ...options };
  }

  private key(id: number): string {
    return this.keys.key('order', 'worker-id', id);
  }

  async onModuleInit(): Promise<void> {
    this.health?.register(WORKER_ID_HEALTH_CHECK, async () => {
      if (!this.holds()) throw new Error('no order worker id is held');
    });
    await this.maintain();
    this.timer = setInterval(() => void this.maintain(), this.options.renewMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.maintaining;
    const held = this.held;
    this.held = undefined;
    if (held) await this.owned.release(this.key(held.workerId), this.token).catch(() => undefined);
  }

  /** Whether this process may issue ids now. */
  holds(): boolean {
    return this.held !== undefined && this.options.clock() < this.held.validUntil;
  }

  /**
   * Renews the lease held, or seeks one (the last worker id first, then any free one). Never throws: a failure
   * (Redis unreachable) leaves the state as it was, and the lease runs out by the clock if it goes on.
   */
  maintain(): Promise<void> {
    this.maintaining ??= this.renewOrAcquire()
      .catch((error: Error) => this.logger.warn(`order worker id lease: ${error.message}`))
      .finally(() => (this.maintaining = undefined));
    return this.maintaining;
  }

  private async renewOrAcquire(): Promise<void> {
    const { leaseMs, clock } = this.options;
    const held = this.held;
    if (held) {
      const sent = clock();
      if (await this.owned.renew(this.key(held.workerId), this.token, leaseMs)) {
        held.validUntil = sent + leaseMs;
        return;
      }
      this.held = undefined;
      this.logger.error(`lost the lease of order worker id ${held.workerId}; seeking one again`);
    }
    for (let i = 0; i < MAX_WORKERS; i++) {
      const workerId = (this.lastWorkerId + i) % MAX_WORKERS;
      const sent = clock();
      if (await this.owned.acquire(this.key(workerId), this.token, leaseMs)) {
        this.held = { workerId, validUntil: sent + leaseMs };
        this.lastWorkerId = workerId;
        if (!this.generators.has(workerId)) this.generators.set(workerId, new OrderIdGenerator(workerId));
        return;
      }
    }
    this.logger.error(`all ${MAX_WORKERS} order worker ids are leased: too many order processes; retrying`);
  }

  /**
   * A new order id for a user's order.
   * @throws Error while no worker id is held (an order-create job then fails and is retried)
   */
  nextId(userId: bigint): bigint {
    const held = this.held;
    if (!held || this.options.clock() >= held.validUntil) throw new Error('no order worker id is held (the lease lapsed)');
    return (this.generators.get(held.workerId) as OrderIdGenerator).next(userId);
  }
}
