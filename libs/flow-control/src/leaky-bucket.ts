import { Clock } from './bucket-math';

/**
 * The funnel's leaky bucket in front of the database: work of `n` units leaves at most `ratePerSecond` units per
 * second, evenly, however it arrives. `acquire(n)` resolves when the work may start; a batch larger than a
 * second's worth starts at once and makes the next one wait for it to drain. Per process: the order service's
 * replicas each drain at this rate.
 */
export class LeakyBucket {
  /** When the bucket is next empty (ms). */
  private next = 0;

  constructor(
    readonly ratePerSecond: number,
    private readonly clock: Clock = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  }

  /** Waits until `units` may pass; returns how long it waited (ms). */
  async acquire(units: number): Promise<number> {
    const now = this.clock();
    const start = Math.max(now, this.next);
    this.next = start + (units * 1000) / this.ratePerSecond;
    const wait = start - now;
    if (wait > 0) await this.sleep(wait);
    return wait;
  }
}
