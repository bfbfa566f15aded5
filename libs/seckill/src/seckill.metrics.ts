import { Injectable } from '@nestjs/common';
import { MetricsService } from '@seckill/platform';

/** The hot path's Prometheus metrics. */
@Injectable()
export class SeckillMetrics {
  readonly purchases;
  readonly reserveSeconds;
  readonly catalogReads;
  readonly bloomRejections;
  readonly relayed;
  readonly admitted;
  readonly admissionsExpired;

  constructor(metrics: MetricsService) {
    // Counted per request at the peak: hot counters (a Map per label value, handed to prom-client at the scrape).
    this.purchases = metrics.hotCounter('seckill_purchases_total', 'Purchase attempts by outcome code', 'outcome');
    this.reserveSeconds = metrics.histogram('seckill_reserve_seconds', 'Latency of the reservation Lua call', [], [
      0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
    ]);
    this.catalogReads = metrics.hotCounter('seckill_catalog_reads_total', 'Activity reads by the cache level that answered', 'level');
    this.bloomRejections = metrics.counter('seckill_bloom_rejections_total', 'Unknown activity ids answered by the bloom filter', []);
    this.relayed = metrics.counter('seckill_relayed_reservations_total', 'Reservations handed to the order queue', []);
    this.admitted = metrics.counter('seckill_waiting_room_admitted_total', 'Shoppers the waiting-room inlet admitted', ['activity']);
    this.admissionsExpired = metrics.counter('seckill_waiting_room_expired_total', 'Admitted shoppers whose turn passed unused', ['activity']);
  }
}
