import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.module';
import { RedisKeys } from '../redis/redis-keys';

/** A cumulative count source: field → count since the process started (deltas are taken at each flush). */
export type CumulativeSource = () => Promise<Record<string, number>> | Record<string, number>;

/** Per-second hashes live this long (the dashboard charts the last minute). */
export const STATS_SECOND_TTL_SECONDS = 180;
/** An activity's live counts outlive its sale by this long, then retire with it. */
const ACTIVITY_STATS_TTL_SECONDS = 30 * 24 * 3600;
/** Flushes run this long after each whole second, so the second they report on is over everywhere. */
const FLUSH_OFFSET_MS = 50;

/** Fields of the per-second hashes. */
export const STATS_FIELDS = {
  /** HTTP requests served (health checks and metrics scrapes excluded). */
  requests: 'requests',
  /** Purchase attempts by outcome code (ACCEPTED or the error code): `purchase:<code>`. */
  purchase: (outcome: string) => `purchase:${outcome}`,
  /** Purchase answers at or under a latency bound, cumulative like a Prometheus bucket: `purchase-le:<seconds>`. */
  purchaseLatency: (le: string) => `purchase-le:${le}`,
} as const;

/** Fields of an activity's live counts. */
export const ACTIVITY_STATS_FIELDS = { created: 'created', paid: 'paid', cancelled: 'cancelled' } as const;
export type ActivityStatsField = keyof typeof ACTIVITY_STATS_FIELDS;

const IGNORED_ROUTES = new Set(['/metrics', '/health/live', '/health/ready']);

/**
 * The live stats of one process: counted in memory (a Map increment, or counters Prometheus already keeps) and
 * flushed to Redis once a second in one MULTI, so the hot path never waits on Redis for them. The admin service
 * adds up what every instance flushed (see the admin StatsService). A flush Redis refuses is kept and retried with
 * the next one; a process that dies loses at most its last second of counts.
 */
@Injectable()
export class LiveStats implements OnModuleInit {
  private readonly logger = new Logger(LiveStats.name);
  private readonly deltas = new Map<string, number>();
  private readonly activityDeltas = new Map<number, Map<ActivityStatsField, number>>();
  private readonly sources: Array<{ read: CumulativeSource; last: Map<string, number> }> = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failing = false;

  constructor(
    private readonly metrics: MetricsService,
    @Optional() private readonly keys?: RedisKeys,
    @Optional() @Inject(REDIS) private readonly redis?: Redis,
  ) {
    this.track(() => this.requestsServed());
  }

  onModuleInit(): void {
    if (this.redis) this.schedule();
  }

  /** Stops the timer and flushes what is left: at shutdown, before the connection closes (see PlatformShutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.redis) await this.flush().catch(() => undefined);
  }

  /** Counts `by` for an activity (orders created, paid or cancelled); in memory until the next flush. */
  addForActivity(activityId: number, field: ActivityStatsField, by = 1): void {
    if (by === 0) return;
    let counts = this.activityDeltas.get(activityId);
    if (!counts) {
      counts = new Map();
      this.activityDeltas.set(activityId, counts);
    }
    counts.set(field, (counts.get(field) ?? 0) + by);
  }

  /** Adds a source of cumulative counts (e.g. a Prometheus counter's values); each flush sends what it gained. */
  track(read: CumulativeSource): void {
    this.sources.push({ read, last: new Map() });
  }

  /**
   * Follows the latency of one route through the HTTP request histogram, as cumulative buckets under
   * `purchase-le:<bound>` (the only route the dashboard charts the latency of is the purchase).
   */
  trackPurchaseLatency(method: string, route: string): void {
    this.track(async () => {
      const counts: Record<string, number> = {};
      for (const value of (await this.metrics.httpRequests.get()).values) {
        if (value.metricName !== 'http_request_duration_seconds_bucket') continue;
        if (value.labels.method !== method || value.labels.route !== route) continue;
        const field = STATS_FIELDS.purchaseLatency(String((value.labels as Record<string, string | number>).le));
        counts[field] = (counts[field] ?? 0) + value.value;
      }
      return counts;
    });
  }

  /**
   * Sends the counts gathered since the last flush: per second (the second just over at `now`), in the totals, and
   * per activity. Returns the number of fields sent.
   */
  async flush(now = Date.now()): Promise<number> {
    const redis = this.redis;
    const keys = this.keys;
    if (!redis || !keys) return 0;
    await this.collect();
    if (this.deltas.size === 0 && this.activityDeltas.size === 0) return 0;
    const deltas = new Map(this.deltas);
    const activities = new Map([...this.activityDeltas].map(([id, counts]) => [id, new Map(counts)]));
    this.deltas.clear();
    this.activityDeltas.clear();
    const second = Math.floor(now / 1000) - 1;
    const multi = redis.multi();
    const perSecond = keys.statsSecond(second);
    for (const [field, delta] of deltas) {
      multi.hincrby(perSecond, field, delta);
      multi.hincrby(keys.statsTotals, field, delta);
    }
    if (deltas.size > 0) multi.expire(perSecond, STATS_SECOND_TTL_SECONDS);
    for (const [activityId, counts] of activities) {
      const key = keys.activityStats(activityId);
      for (const [field, delta] of counts) multi.hincrby(key, ACTIVITY_STATS_FIELDS[field], delta);
      multi.expire(key, ACTIVITY_STATS_TTL_SECONDS);
    }
    try {
      await multi.exec();
      this.failing = false;
    } catch (error) {
      // Kept for the next flush: a count is late rather than lost.
      for (const [field, delta] of deltas) this.deltas.set(field, (this.deltas.get(field) ?? 0) + delta);
      for (const [activityId, counts] of activities) {
        for (const [field, delta] of counts) this.addForActivity(activityId, field, delta);
      }
      if (!this.failing) this.logger.warn(`live stats kept for the next flush: ${(error as Error).message}`);
      this.failing = true;
    }
    return deltas.size + activities.size;
  }

  /** Turns every source's cumulative counts into deltas since the last collection. */
  private async collect(): Promise<void> {
    for (const source of this.sources) {
      const current = await source.read();
      for (const [field, count] of Object.entries(current)) {
        const delta = count - (source.last.get(field) ?? 0);
        source.last.set(field, count);
        if (delta !== 0) this.deltas.set(field, (this.deltas.get(field) ?? 0) + delta);
      }
    }
  }

  /** HTTP requests served so far, from the request histogram every service keeps. */
  private async requestsServed(): Promise<Record<string, number>> {
    let served = 0;
    for (const value of (await this.metrics.httpRequests.get()).values) {
      if (value.metricName === 'http_request_duration_seconds_count' && !IGNORED_ROUTES.has(String(value.labels.route))) {
        served += value.value;
      }
    }
    return { [STATS_FIELDS.requests]: served };
  }

  /** Just after each whole second, so that each flush reports on one whole second of this process. */
  private schedule(): void {
    if (this.closed) return;
    const delay = 1000 - (Date.now() % 1000) + FLUSH_OFFSET_MS;
    this.timer = setTimeout(() => {
      void this.flush()
        .catch((error: Error) => this.logger.warn(`live stats: ${error.message}`))
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }
}
