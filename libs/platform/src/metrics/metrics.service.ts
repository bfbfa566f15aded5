import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A counter with one label, for the hot path: inc() adds to a plain number per label value, handed to prom-client when
 * the registry is read (a scrape, or get()). prom-client hashes the label set on every inc, a measurable share of a
 * purchase's CPU at the peak; this costs a Map lookup.
 */
export class HotCounter<L extends string> {
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly counter: Counter<L>,
    private readonly label: L,
  ) {}

  inc(value: string, by = 1): void {
    this.pending.set(value, (this.pending.get(value) ?? 0) + by);
  }

  /** Hands the counts to prom-client (its collect hook). */
  flush(): void {
    for (const [value, count] of this.pending) this.counter.inc({ [this.label]: value } as Partial<Record<L, string>>, count);
    this.pending.clear();
  }

  get(): ReturnType<Counter<L>['get']> {
    return this.counter.get();
  }
}

/** The process's Prometheus registry, with Node's default metrics and the HTTP request metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  private readonly counters = new Map<string, Counter<string>>();
  private readonly histograms = new Map<string, Histogram<string>>();
  private readonly gauges = new Map<string, Gauge<string>>();
  private readonly hotCounters = new Map<string, HotCounter<string>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }

  /** A counter registered once per name; later calls return the same one. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    let counter = this.counters.get(name);
    if (!counter) {
      counter = new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
      this.counters.set(name, counter);
    }
    return counter as Counter<L>;
  }

  /** A one-label counter for the hot path (see HotCounter), registered once per name. */
  hotCounter<L extends string>(name: string, help: string, label: L): HotCounter<L> {
    let hot = this.hotCounters.get(name);
    if (!hot) {
      let self: HotCounter<string> | undefined;
      const counter = new Counter<string>({
        name,
        help,
        labelNames: [label],
        registers: [this.registry],
        collect: () => self?.flush(),
      });
      hot = self = new HotCounter<string>(counter, label);
      this.hotCounters.set(name, hot);
    }
    return hot as unknown as HotCounter<L>;
  }

  /**
   * A gauge registered once per name; later calls return the same one. `collect`, if given, sets its values at
   * each scrape (e.g. a queue depth read from Redis), so nothing is read between scrapes.
   */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (gauge: Gauge<L>) => Promise<void> | void): Gauge<L> {
    let gauge = this.gauges.get(name);
    if (!gauge) {
      gauge = new Gauge<string>({
        name,
        help,
        labelNames: [...labelNames],
        registers: [this.registry],
        collect: collect ? function (this: Gauge<string>) { return collect(this as Gauge<L>); } : undefined,
      });
      this.gauges.set(name, gauge);
    }
    return gauge as Gauge<L>;
  }

  /** A histogram (seconds) registered once per name; later calls return the same one. */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets?: number[]): Histogram<L> {
    let histogram = this.histograms.get(name);
    if (!histogram) {
      histogram = new Histogram({ name, help, labelNames: [...labelNames], buckets, registers: [this.registry] });
      this.histograms.set(name, histogram);
    }
    return histogram as Histogram<L>;
  }
}
