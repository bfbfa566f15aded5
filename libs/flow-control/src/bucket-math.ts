/**
 * Token-bucket arithmetic shared by TokenBucket and KeyedRateLimiter, kept as plain functions over plain numbers so
 * that a limiter holding thousands of keys stores two numbers per key and no closures.
 */

/** A clock in milliseconds, injectable so tests step time instead of sleeping. */
export type Clock = () => number;

/** Floating-point slack, so that e.g. 0.3 tokens missing at 0.3 tokens/s is 1 s and not 2 s. */
const EPSILON = 1e-9;

/** Checks the limiter parameters once, at construction, so the hot path never has to. */
export function assertBucketParameters(ratePerSecond: number, burst: number): void {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a finite number > 0, got ${ratePerSecond}`);
  }
  if (!Number.isFinite(burst) || burst < 1) {
    throw new RangeError(`burst must be a finite number >= 1, got ${burst}`);
  }
}

/** Tokens after refilling from `last` to `now`; a clock that steps back adds nothing rather than removing tokens. */
export function refilled(tokens: number, last: number, now: number, ratePerSecond: number, burst: number): number {
  if (now <= last) return tokens;
  return Math.min(burst, tokens + ((now - last) * ratePerSecond) / 1000);
}

/** Whole seconds (at least 1, as Retry-After wants) until `tokens` has grown to one token. */
export function secondsUntilToken(tokens: number, ratePerSecond: number): number {
  const missing = 1 - tokens;
  if (missing <= 0) return 1;
  return Math.max(1, Math.ceil(missing / ratePerSecond - EPSILON));
}
