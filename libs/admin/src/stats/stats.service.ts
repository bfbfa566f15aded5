import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { activityStatus, ActivityRecord, ActivityRepository } from '@seckill/activities';
import { ActivityStatus } from '@seckill/contracts';
import { SwitchesService, SwitchValues } from '@seckill/flow-control';
import { ORDER_CREATE_QUEUE, ORDER_TIMEOUT_QUEUE, REDIS, RedisKeys, STATS_FIELDS } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { PlanState, PlansService } from '../plans/plans.service';
import { percentileMs } from './latency';

/** Seconds the rates are averaged over (the flushes of every instance for a whole second are in by then). */
const RATE_WINDOW_SECONDS = 5;
/** Seconds the purchase p99 is taken over. */
const LATENCY_WINDOW_SECONDS = 10;
/** Seconds of history sent for the charts. */
const SERIES_SECONDS = 60;
/** How long the list of activities is reused between two snapshots (a MySQL read at most this often). */
const ACTIVITIES_TTL_MS = 2000;
/** Activities shown: not ended, or ended within this long. */
const RECENT_MS = 6 * 3600_000;
const MAX_ACTIVITIES = 20;

const PURCHASE_PREFIX = STATS_FIELDS.purchase('');
const LATENCY_PREFIX = STATS_FIELDS.purchaseLatency('');

/** Injection token of what reads the payment breakers' state (PaymentBreakersSource in the admin module; optional so tests may leave it out). */
export const BREAKER_STATE = Symbol('BREAKER_STATE');

/** The payment breakers' state as the dashboard shows it. */
export interface BreakerSnapshot {
  /** The worst state over the payment instances (OPEN > HALF_OPEN > CLOSED), or a forced mode. */
  state: string;
  instances: Array<{ instance: string; state: string }>;
}

export interface BreakerStateSource {
  read(): Promise<BreakerSnapshot | null>;
}

export interface ActivityStats {
  id: number;
  title: string;
  status: ActivityStatus;
  startAt: string;
  endAt: string;
  stock: number;
  /** Units left in Redis (the whole stock while not loaded). */
  remaining: number;
  /** Units held by reservations that were not released (queued or ordered, not cancelled). */
  reserved: number;
  ordersCreated: number;
  ordersPaid: number;
  ordersCancelled: number;
}

export interface QueueDepths {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/** One second of traffic, for the charts. */
export interface SecondOfTraffic {
  /** Start of the second, ms since epoch. */
  at: number;
  requests: number;
  purchases: number;
  accepted: number;
  rejected: number;
}

/** GET /api/admin/stats (and each event of the stream). */
export interface StatsSnapshot {
  at: string;
  activities: ActivityStats[];
  /** HTTP requests per second over every instance of every service (health and metrics excluded). */
  requestsPerSecond: number;
  purchases: {
    perSecond: number;
    acceptedPerSecond: number;
    /** 99th percentile of the purchase's answer time over the last 10 s, in ms (null without purchases). */
    p99Ms: number | null;
    /** Attempts by outcome (ACCEPTED or an error code) since the deployment began. */
    totals: Record<string, number>;
  };
  /** Purchase refusals by error code: per second now, and since the deployment began. */
  rejections: { perSecond: Record<string, number>; totals: Record<string, number> };
  queues: Record<string, QueueDepths>;
  /** Reservations appended to the activities' streams and not yet handed to the order queue. */
  relay: { backlog: number };
  /** The payment breakers (null until a payment service reports them). */
  breaker: BreakerSnapshot | null;
  switches: Readonly<SwitchValues>;
  plan: PlanState | null;
  series: SecondOfTraffic[];
}

/**
 * Adds up the live stats every instance flushes to Redis once a second (see LiveStats), with the state of each
 * recent activity (Redis stock and holders, orders counted where they are written), the queues and the relay.
 * Everything is read from Redis but the list of activities, which is read from MySQL at most every 2 s.
 */
@Injectable()
export class StatsService {
  private activities: { records: ActivityRecord[]; until: number } | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly repository: ActivityRepository,
    private readonly stock: StockService,
    private readonly switches: SwitchesService,
    private readonly plans: PlansService,
    @Inject(ORDER_CREATE_QUEUE) private readonly createQueue: Queue,
    @Inject(ORDER_TIMEOUT_QUEUE) private readonly timeoutQueue: Queue,
    @Optional() @Inject(BREAKER_STATE) private readonly breaker?: BreakerStateSource,
  ) {}

  async snapshot(now = Date.now()): Promise<StatsSnapshot> {
    const [activities, seconds, totals, queues, backlog, plan, breaker] = await Promise.all([
      this.activityStats(now),
      this.lastSeconds(now),
      this.redis.hgetall(this.keys.statsTotals),
      this.queueDepths(),
      this.relayBacklog(),
      this.plans.active(),
      this.breaker?.read().catch(() => null) ?? Promise.resolve(null),
    ]);
    const window = seconds.slice(-RATE_WINDOW_SECONDS);
    const sum = (field: (second: Record<string, string>) => number, over = window) =>
      over.reduce((total, second) => total + field(second.counts), 0);
    const rejectionRates: Record<string, number> = {};
    for (const second of window) {
      for (const [code, count] of outcomes(second.counts)) {
        if (code !== 'ACCEPTED') rejectionRates[code] = (rejectionRates[code] ?? 0) + count / RATE_WINDOW_SECONDS;
      }
    }
    const purchaseTotals = Object.fromEntries(outcomes(totals));
    return {
      at: new Date(now).toISOString(),
      activities,
      requestsPerSecond: sum(requests) / RATE_WINDOW_SECONDS,
      purchases: {
        perSecond: sum(purchases) / RATE_WINDOW_SECONDS,
        acceptedPerSecond: sum(accepted) / RATE_WINDOW_SECONDS,
        p99Ms: percentileMs(latencyBuckets(seconds.slice(-LATENCY_WINDOW_SECONDS))),
        totals: purchaseTotals,
      },
      rejections: {
        perSecond: rejectionRates,
        totals: Object.fromEntries(Object.entries(purchaseTotals).filter(([code]) => code !== 'ACCEPTED')),
      },
      queues,
      relay: { backlog },
      breaker,
      switches: this.switches.all(),
      plan,
      series: seconds.map((second) => ({
        at: second.at,
        requests: requests(second.counts),
        purchases: purchases(second.counts),
        accepted: accepted(second.counts),
        rejected: purchases(second.counts) - accepted(second.counts),
      })),
    };
  }

  /** The per-second hashes of the last minute, oldest first; the second under way is left out. */
  private async lastSeconds(now: number): Promise<Array<{ at: number; counts: Record<string, string> }>> {
    const current = Math.floor(now / 1000);
    const seconds = Array.from({ length: SERIES_SECONDS }, (_, index) => current - SERIES_SECONDS + index);
    const pipeline = this.redis.pipeline();
    for (const second of seconds) pipeline.hgetall(this.keys.statsSecond(second));
    const replies = (await pipeline.exec()) ?? [];
    return seconds.map((second, index) => {
      const [error, counts] = replies[index] ?? [null, {}];
      return { at: second * 1000, counts: error ? {} : ((counts as Record<string, string>) ?? {}) };
    });
  }

  private async activityStats(now: number): Promise<ActivityStats[]> {
    const records = (await this.recentActivities(now)).slice(0, MAX_ACTIVITIES);
    return Promise.all(
      records.map(async (record) => {
        const [remaining, reserved, counts] = await Promise.all([
          this.stock.available(record),
          // A retired activity's holders are what Redis held when its keys went (kept in MySQL).
          record.retired ? record.retired.reserved : this.stock.holders(record.id),
          this.redis.hgetall(this.keys.activityStats(record.id)),
        ]);
        return {
          id: record.id,
          title: record.title,
          status: activityStatus(record, remaining, now),
          startAt: new Date(record.startAt).toISOString(),
          endAt: new Date(record.endAt).toISOString(),
          stock: record.stock,
          remaining,
          reserved,
          ordersCreated: Number(counts.created ?? 0),
          ordersPaid: Number(counts.paid ?? 0),
          ordersCancelled: Number(counts.cancelled ?? 0),
        };
      }),
    );
  }

  private async recentActivities(now: number): Promise<ActivityRecord[]> {
    if (!this.activities || this.activities.until <= now) {
      const records = (await this.repository.findAll()).filter((record) => record.endAt > now - RECENT_MS);
      this.activities = { records, until: now + ACTIVITIES_TTL_MS };
    }
    return this.activities.records;
  }

  private async queueDepths(): Promise<Record<string, QueueDepths>> {
    const depths: Record<string, QueueDepths> = {};
    for (const queue of [this.createQueue, this.timeoutQueue]) {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      depths[queue.name] = {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      };
    }
    return depths;
  }

  /** Entries still in the live activities' reservation streams (the relay deletes what BullMQ has). */
  private async relayBacklog(): Promise<number> {
    const ids = await this.stock.liveActivities();
    const lengths = await Promise.all(ids.map((id) => this.redis.xlen(this.stock.keysFor(id, 1).stream)));
    return lengths.reduce((sum, length) => sum + length, 0);
  }
}

function requests(counts: Record<string, string>): number {
  return Number(counts[STATS_FIELDS.requests] ?? 0);
}

function purchases(counts: Record<string, string>): number {
  let total = 0;
  for (const [, count] of outcomes(counts)) total += count;
  return total;
}

function accepted(counts: Record<string, string>): number {
  return Number(counts[STATS_FIELDS.purchase('ACCEPTED')] ?? 0);
}

function outcomes(counts: Record<string, string>): Array<[string, number]> {
  return Object.entries(counts)
    .filter(([field]) => field.startsWith(PURCHASE_PREFIX))
    .map(([field, count]) => [field.slice(PURCHASE_PREFIX.length), Number(count)]);
}

function latencyBuckets(seconds: Array<{ counts: Record<string, string> }>): Map<string, number> {
  const buckets = new Map<string, number>();
  for (const second of seconds) {
    for (const [field, count] of Object.entries(second.counts)) {
      if (field.startsWith(LATENCY_PREFIX)) {
        const le = field.slice(LATENCY_PREFIX.length);
        buckets.set(le, (buckets.get(le) ?? 0) + Number(count));
      }
    }
  }
  return buckets;
}
