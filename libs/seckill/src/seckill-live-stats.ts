import { Injectable } from '@nestjs/common';
import { LiveStats, STATS_FIELDS } from '@seckill/platform';
import { PURCHASE_ROUTE } from './purchase-fast-path';
import { SeckillMetrics } from './seckill.metrics';

/**
 * Feeds the live stats (the dashboard's purchase rates, rejections by code and p99) from the counters the hot path
 * already keeps for Prometheus: the purchase is counted once, in memory, and flushed once a second by LiveStats.
 */
@Injectable()
export class SeckillLiveStats {
  constructor(metrics: SeckillMetrics, live: LiveStats) {
    live.track(async () => {
      const counts: Record<string, number> = {};
      for (const value of (await metrics.purchases.get()).values) {
        counts[STATS_FIELDS.purchase(String(value.labels.outcome))] = value.value;
      }
      return counts;
    });
    live.trackPurchaseLatency('POST', PURCHASE_ROUTE);
  }
}
