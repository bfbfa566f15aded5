import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { BreakerState, BreakerTotals } from '@seckill/flow-control';
import { BREAKER_STATE_STALE_MS, encodeBreakerState, PaymentProvider, paymentBreakersKey } from '@seckill/payment-store';
import { MetricsService, REDIS, RedisKeys } from '@seckill/platform';

const EVERY_MS = 1000;
/** The shared hash outlives its last writer by this much, then Redis retires it. */
const HASH_TTL_MS = 60_000;
/** Entries of instances gone this long are deleted by whichever instance notices. */
const PRUNE_AFTER_MS = 30_000;
const STATES: readonly BreakerState[] = ['CLOSED', 'OPEN', 'HALF_OPEN', 'FORCED_OPEN', 'DISABLED'];

/**
 * Makes this process's payment breaker visible: Prometheus gauges and counters in /metrics, and its state in a Redis
 * hash (one field per instance) written about once a second and on every transition, for the admin stats. Also
 * applies the paymentBreaker switch every second, so an operator's mode lands within a second even with no traffic.
 */
@Injectable()
export class BreakerMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('breaker-monitor');
  /** This process in the shared hash. */
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  private lastProblem = '';
  private stopTransitions?: () => void;

  constructor(
    private readonly provider: PaymentProvider,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    metrics: MetricsService,
  ) {
    const breaker = provider.breaker;
    const registers = [metrics.registry];
    new Gauge({
      name: 'payment_breaker_state',
      help: 'The payment provider breaker: 1 for the state it is in, 0 for the others',
      labelNames: ['state'],
      registers,
      collect() {
        const now = breaker.state();
        for (const state of STATES) this.set({ state }, state === now ? 1 : 0);
      },
    });
    const window = (name: string, help: string, pick: (counts: { calls: number; failures: number; slowCalls: number }) => number) =>
      new Gauge({ name, help, registers, collect() { this.set(pick(breaker.snapshot())); } });
    window('payment_breaker_window_calls', 'Calls in the breaker window', (c) => c.calls);
    window('payment_breaker_window_failures', 'Failed calls in the breaker window', (c) => c.failures);
    window('payment_breaker_window_slow_calls', 'Slow calls in the breaker window', (c) => c.slowCalls);
    const outcomes: Array<keyof BreakerTotals> = ['successes', 'failures', 'slowCalls', 'timeouts', 'ignored', 'rejected'];
    new Counter({
      name: 'payment_provider_calls_total',
      help: 'Calls through the payment breaker by outcome (rejected: not made because it was open)',
      labelNames: ['outcome'],
      registers,
      collect() {
        // Mirrors the breaker's own totals, which only grow.
        const totals = breaker.totals();
        this.reset();
        for (const outcome of outcomes) this.inc({ outcome }, totals[outcome]);
      },
    });
    const transitions = new Counter({
      name: 'payment_breaker_transitions_total',
      help: 'Payment breaker state changes',
      labelNames: ['from', 'to'],
      registers,
    });
    this.stopTransitions = breaker.onTransition((event) => {
      transitions.inc({ from: event.from, to: event.to });
      void this.publish();
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopTransitions?.();
    await this.redis.hdel(paymentBreakersKey(this.keys), this.instance).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    this.provider.syncMode();
    await this.publish();
    if (++this.ticks % 10 === 0) await this.prune();
  }

  /** Writes this instance's entry now. */
  async publish(): Promise<void> {
    const key = paymentBreakersKey(this.keys);
    try {
      await this.redis
        .multi()
        .hset(key, this.instance, encodeBreakerState(this.provider.breaker.snapshot(), Date.now()))
        .pexpire(key, HASH_TTL_MS)
        .exec();
      this.lastProblem = '';
    } catch (error) {
      const problem = (error as Error).message;
      if (problem !== this.lastProblem) this.logger.warn(`cannot publish the breaker state: ${problem}`);
      this.lastProblem = problem;
    }
  }

  /** Deletes the entries of instances that stopped writing long ago (crashed ones never delete their own). */
  private async prune(): Promise<void> {
    const key = paymentBreakersKey(this.keys);
    try {
      const stored = await this.redis.hgetall(key);
      const now = Date.now();
      const gone = Object.entries(stored)
        .filter(([, json]) => {
          try {
            return now - Number((JSON.parse(json) as { at?: unknown }).at) > Math.max(PRUNE_AFTER_MS, BREAKER_STATE_STALE_MS);
          } catch {
            return true;
          }
        })
        .map(([instance]) => instance);
      if (gone.length > 0) await this.redis.hdel(key, ...gone);
    } catch {
      // Next time: pruning is housekeeping.
    }
  }
}
