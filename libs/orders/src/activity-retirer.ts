import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { ActivityCache, ActivityRecord, ActivityRepository } from '@seckill/activities';
import { OrderCreateJob, QUEUES } from '@seckill/contracts';
import { OrderRepository } from '@seckill/order-store';
import { AppConfig, OwnedKeys, ownerToken, REDIS, RedisKeys } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { activitiesWithPendingBatches } from './pending-batches';

/** The retirer's lease lives this long past its last renewal: a replica that died holding it blocks others no longer. */
const LEASE_MS = 60_000;

/**
 * The activity's live-stats hash (orders created, paid, cancelled: three counters the dashboard shows for recent
 * sales) outlives the hot keys by this long, then expires: nothing writes it once no order awaits payment.
 */
const STATS_KEPT_MS = 7 * 24 * 3600 * 1000;

/**
 * Retires the hot state in Redis of activities that are over, so that Redis, the relay (which reads every live
 * activity's stream) and the sweeper (which scans every live activity's reservations) do not carry every sale ever
 * held. An activity is retired once all of these hold:
 * - its sale ended, its payment window passed, and ACTIVITY_RETIRE_AFTER_MS more;
 * - no order-create batch of it is left in the queue, its stream is empty and nothing taken from it is
 *   unacknowledged, and none of its reservations is QUEUED or FAILED (every 202 has its final order);
 * - none of its orders awaits payment (a later cancel would return a unit to a stock no longer kept).
 * Then what reconciliation needs (units left, units held) is written to MySQL, every instance's catalog is told, and
 * the keys go (the live set first). Every order process runs this; a Redis lease lets one replica at a time make a
 * pass, and each step is safe to repeat, so a replica that dies mid-pass leaves nothing the next pass cannot finish.
 */
@Injectable()
export class ActivityRetirer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivityRetirer.name);
  private readonly token = ownerToken();
  private readonly lease: OwnedKeys;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number[]> | undefined;

  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly stock: StockService,
    private readonly activities: ActivityRepository,
    private readonly cache: ActivityCache,
    private readonly orders: OrderRepository,
    @InjectQueue(QUEUES.orderCreate) private readonly queue: Queue<OrderCreateJob>,
  ) {
    this.lease = new OwnedKeys(redis);
  }

  private get leaseKey(): string {
    return this.keys.key('order', 'retirer-lease');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.retireDue(), this.config.ACTIVITY_RETIRE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the live activities, if this replica holds the lease; returns the ids retired. Never throws. */
  retireDue(now = Date.now()): Promise<number[]> {
    this.running ??= this.pass(now)
      .catch((error: Error) => {
        this.logger.warn(`retiring activities: ${error.message}`);
        return [];
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: number): Promise<number[]> {
    if (!(await this.lease.acquire(this.leaseKey, this.token, LEASE_MS))) return [];
    const retired: number[] = [];
    try {
      const busy = await activitiesWithPendingBatches(this.queue);
      for (const id of await this.stock.liveActivities()) {
        // Lost the lease (this pass outlived it): another replica carries on.
        if (!(await this.lease.renew(this.leaseKey, this.token, LEASE_MS))) break;
        if (busy.has(id)) continue;
        const activity = await this.activities.findById(id);
        if (activity && (await this.retire(activity, now))) retired.push(id);
      }
    } finally {
      await this.lease.release(this.leaseKey, this.token).catch(() => undefined);
    }
    return retired;
  }

  private async retire(activity: ActivityRecord, now: number): Promise<boolean> {
    const due = activity.endAt + activity.paymentTimeoutSeconds * 1000 + this.config.ACTIVITY_RETIRE_AFTER_MS;
    if (now < due) return false;
    const blocker = await this.stock.retirementBlocker(activity.id);
    if (blocker !== null) {
      this.logger.debug(`activity ${activity.id} not retired yet: ${blocker}`);
      return false;
    }
    if ((await this.orders.countByActivity(activity.id)).pendingPayment > 0) return false;
    const [remaining, reserved] = await Promise.all([
      this.stock.remaining(activity.id, activity.stockShards),
      this.stock.holders(activity.id),
    ]);
    // Kept only by the first retirement: keys a later prewarm put back hold nothing of the sale.
    await this.activities.markRetired(activity.id, { remaining: remaining ?? activity.stock, reserved }, new Date(now));
    await this.cache.changed(activity.id);
    await this.stock.retire(activity.id, activity.stockShards);
    await this.redis.pexpire(this.keys.activityStats(activity.id), STATS_KEPT_MS);
    this.logger.log(`retired activity ${activity.id} from Redis (remaining ${remaining ?? activity.stock}, held ${reserved})`);
    return true;
  }
}
