import { Clock, assertBucketParameters, refilled, secondsUntilToken } from './bucket-math';

/**
 * A token bucket: holds up to `burst` tokens and refills at `ratePerSecond`, continuously (fractions included).
 * It starts full. Not shared between processes: each instance limits what passes through it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param ratePerSecond tokens added per second (> 0; fractions allowed, e.g. 0.5 = one every two seconds)
   * @param burst the bucket's capacity (>= 1), i.e. how many takes may pass at once after a quiet period
   * @param clock milliseconds; inject one in tests
   * @throws RangeError when a parameter is out of range
   */
  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = Date.now,
  ) {
    assertBucketParameters(ratePerSecond, burst);
    this.tokens = burst;
    this.last = clock();
  }

  /**
   * Takes `n` tokens if the bucket holds them, else takes nothing.
   * @returns whether the tokens were taken
   * @throws RangeError when n is not a number > 0
   */
  tryTake(n = 1): boolean {
    if (!(n > 0)) throw new RangeError(`n must be a number > 0, got ${n}`);
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Whole seconds, at least 1, until one token is available: the value of a Retry-After header. */
  retryAfterSeconds(): number {
    this.refill();
    return secondsUntilToken(this.tokens, this.ratePerSecond);
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = refilled(this.tokens, this.last, now, this.ratePerSecond, this.burst);
    if (now > this.last) this.last = now;
  }
}
