import { Clock } from '../bucket-math';

/** What a sliding window holds: the calls it counts and how many of them failed or were slow. */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

/** The outcome of one counted call. */
export interface CallOutcome {
  failed: boolean;
  slow: boolean;
}

/** A window over recent calls: the last N calls, or the calls of the last T milliseconds. */
export interface SlidingWindow {
  record(outcome: CallOutcome): void;
  counts(): WindowCounts;
  reset(): void;
}

/** Which calls the breaker judges: the last `size` calls, or those of the last `size` seconds. */
export type WindowSpec = { type: 'count'; size: number } | { type: 'time'; size: number };

/** A window of the last `size` calls: a ring of outcomes with running totals, O(1) per call. */
export class CountWindow implements SlidingWindow {
  private readonly failed: boolean[];
  private readonly slow: boolean[];
  private next = 0;
  private calls = 0;
  private failures = 0;
  private slowCalls = 0;

  constructor(private readonly size: number) {
    this.failed = new Array<boolean>(size).fill(false);
    this.slow = new Array<boolean>(size).fill(false);
  }

  record(outcome: CallOutcome): void {
    if (this.calls === this.size) {
      // The ring is full: the oldest call leaves as this one enters.
      if (this.failed[this.next]) this.failures--;
      if (this.slow[this.next]) this.slowCalls--;
    } else {
      this.calls++;
    }
    this.failed[this.next] = outcome.failed;
    this.slow[this.next] = outcome.slow;
    if (outcome.failed) this.failures++;
    if (outcome.slow) this.slowCalls++;
    this.next = (this.next + 1) % this.size;
  }

  counts(): WindowCounts {
    return { calls: this.calls, failures: this.failures, slowCalls: this.slowCalls };
  }

  reset(): void {
    this.failed.fill(false);
    this.slow.fill(false);
    this.next = 0;
    this.calls = 0;
    this.failures = 0;
    this.slowCalls = 0;
  }
}

interface SecondBucket {
  /** The epoch second this bucket counts; a bucket of an older second is stale and reads as empty. */
  second: number;
  calls: number;
  failures: number;
  slowCalls: number;
}

/**
 * A window of the last `seconds` seconds, in one bucket per second (so memory does not grow with the call rate):
 * a call lands in the bucket of its second, and a bucket older than the window counts for nothing.
 */
export class TimeWindow implements SlidingWindow {
  private readonly buckets: SecondBucket[];

  constructor(
    private readonly seconds: number,
    private readonly clock: Clock,
  ) {
    this.buckets = Array.from({ length: seconds }, () => ({ second: -1, calls: 0, failures: 0, slowCalls: 0 }));
  }

  record(outcome: CallOutcome): void {
    const second = Math.floor(this.clock() / 1000);
    const bucket = this.buckets[second % this.seconds];
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.calls = 0;
      bucket.failures = 0;
      bucket.slowCalls = 0;
    }
    bucket.calls++;
    if (outcome.failed) bucket.failures++;
    if (outcome.slow) bucket.slowCalls++;
  }

  counts(): WindowCounts {
    const now = Math.floor(this.clock() / 1000);
    let calls = 0;
    let failures = 0;
    let slowCalls = 0;
    for (const bucket of this.buckets) {
      if (bucket.second > now - this.seconds && bucket.second <= now) {
        calls += bucket.calls;
        failures += bucket.failures;
        slowCalls += bucket.slowCalls;
      }
    }
    return { calls, failures, slowCalls };
  }

  reset(): void {
    for (const bucket of this.buckets) bucket.second = -1;
  }
}

/** The window a spec describes. */
export function createWindow(spec: WindowSpec, clock: Clock): SlidingWindow {
  return spec.type === 'count' ? new CountWindow(spec.size) : new TimeWindow(spec.size, clock);
}
