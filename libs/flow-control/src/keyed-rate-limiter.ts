import { Clock, assertBucketParameters, refilled, secondsUntilToken } from './bucket-math';

/** The answer of KeyedRateLimiter.take. */
export type RateLimitDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/** Options of a KeyedRateLimiter. */
export interface KeyedRateLimiterOptions {
  /** Tokens each key regains per second (> 0). */
  ratePerSecond: number;
  /** Capacity of each key's bucket (>= 1). */
  burst: number;
  /**
   * Most keys held at once; past it the least recently used key is forgotten. A forgotten key comes back with a
   * full bucket, so size this above the number of keys active within one refill period (burst / ratePerSecond).
   */
  maxKeys: number;
  /** Milliseconds; inject one in tests. */
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  last: number;
}

const ALLOWED: RateLimitDecision = Object.freeze({ ok: true as const });

/**
 * Rejections are shared, frozen objects per Retry-After value, so that a flood of rejected requests (the case a
 * limiter exists for) allocates nothing. Values past the cache are rare (rates under 1/60 s) and allocated.
 */
const REJECTION_CACHE_SIZE = 60;
const rejections: Array<RateLimitDecision | undefined> = new Array(REJECTION_CACHE_SIZE + 1);

function rejection(retryAfterSeconds: number): RateLimitDecision {
  if (retryAfterSeconds > REJECTION_CACHE_SIZE) return { ok: false, retryAfterSeconds };
  let cached = rejections[retryAfterSeconds];
  if (cached === undefined) {
    cached = Object.freeze({ ok: false as const, retryAfterSeconds });
    rejections[retryAfterSeconds] = cached;
  }
  return cached;
}

/**
 * One token bucket per key (an IP, a user id), in process memory bounded to `maxKeys` by evicting the least recently
 * used key. Meant for the hot path: a call for a known key allocates nothing.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  /** @throws RangeError when a parameter is out of range */
  constructor(options: KeyedRateLimiterOptions) {
    assertBucketParameters(options.ratePerSecond, options.burst);
    if (!Number.isInteger(options.maxKeys) || options.maxKeys < 1) {
      throw new RangeError(`maxKeys must be an integer >= 1, got ${options.maxKeys}`);
    }
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.maxKeys = options.maxKeys;
    this.clock = options.clock ?? Date.now;
  }

  /** Number of keys currently held (at most maxKeys). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from the key's bucket: ok, or how many whole seconds (>= 1) until the key may pass again. */
  take(key: string): RateLimitDecision {
    const now = this.clock();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evictOldest();
      bucket = { tokens: this.burst, last: now };
    } else {
      // A Map iterates in insertion order: re-inserting moves the key to the young end, which makes the first key
      // the least recently used one.
      this.buckets.delete(key);
      bucket.tokens = refilled(bucket.tokens, bucket.last, now, this.ratePerSecond, this.burst);
      if (now > bucket.last) bucket.last = now;
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return rejection(secondsUntilToken(bucket.tokens, this.ratePerSecond));
  }

  /** Forgets every key (e.g. between tests, or when the limits change). */
  clear(): void {
    this.buckets.clear();
  }

  private evictOldest(): void {
    for (const oldest of this.buckets.keys()) {
      this.buckets.delete(oldest);
      return;
    }
  }
}
