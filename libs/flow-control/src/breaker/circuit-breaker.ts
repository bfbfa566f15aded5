import { Clock } from '../bucket-math';
import { createWindow, SlidingWindow, WindowCounts, WindowSpec } from './sliding-window';

/*
 * Written by hand, after looking for a maintained library: on Node 20 the current majors of opossum (10, Node >= 22)
 * and cockatiel (4, Node >= 22) do not install, and none of opossum 8, cockatiel 3, brakes or
 * @fastify/circuit-breaker (which guards one's own routes, not outbound calls) judges a slow-call ratio or admits N
 * probes while half open. The product needs both (the provider degrades by slowing down before it fails), so this is
 * the resilience4j state machine in a hundred lines, on an injectable clock so that its tests step time.
 */

/** Where a breaker stands. FORCED_OPEN and DISABLED are set by an operator (see BreakerMode). */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN' | 'FORCED_OPEN' | 'DISABLED';

/** What an operator makes of a breaker: AUTO (the state machine decides), FORCED_OPEN (reject all), DISABLED (admit all). */
export type BreakerMode = 'AUTO' | 'FORCED_OPEN' | 'DISABLED';

/** The operator modes, in the order an operator reads them. */
export const BREAKER_MODES: readonly BreakerMode[] = ['AUTO', 'FORCED_OPEN', 'DISABLED'];

/** Timers a breaker uses for its call timeout; inject fakes in tests. */
export interface BreakerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: BreakerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of a CircuitBreaker. Ratios are percentages (1-100) of the calls in the window. */
export interface CircuitBreakerOptions {
  /** Names the breaker in events, errors and logs. */
  name: string;
  /** The calls judged while CLOSED: the last N calls, or those of the last N seconds. */
  window: WindowSpec;
  /** Calls the window must hold before the breaker may open, however bad they are. */
  minimumCalls: number;
  /** Opens when this share of the window's calls failed (>=). */
  failureRateThreshold: number;
  /** Opens when this share of the window's calls took slowCallDurationMs or longer (>=), successful or not. */
  slowCallRateThreshold: number;
  slowCallDurationMs: number;
  /** How long OPEN rejects every call before it lets probes through (HALF_OPEN). */
  openWaitMs: number;
  /** Calls admitted while HALF_OPEN; all must succeed, not slowly, to close. The rest are rejected at once. */
  halfOpenProbes: number;
  /** Aborts a call (its AbortSignal) and fails it with CallTimeoutError after this long; 0 = no timeout. */
  callTimeoutMs?: number;
  /**
   * Whether an error says the dependency is failing. Errors for which this is false (a declined card, a request
   * the dependency refused as invalid) are passed on but not counted. Default: every error counts.
   */
  isFailure?: (error: unknown) => boolean;
  clock?: Clock;
  timers?: BreakerTimers;
}

/** One change of state, as listeners receive it. */
export interface BreakerTransition {
  name: string;
  from: BreakerState;
  to: BreakerState;
  /** Why, in words (for the log line). */
  reason: string;
  /** When (ms). */
  at: number;
  /** The window as it stood when the decision was made. */
  counts: WindowCounts;
}

/** A breaker's state with its window, for metrics and the shared state view. */
export interface BreakerSnapshot extends WindowCounts {
  state: BreakerState;
  /** When the breaker entered this state (ms). */
  since: number;
}

/** Calls by outcome since the breaker was made (for counters). */
export interface BreakerTotals {
  successes: number;
  failures: number;
  /** Calls that took slowCallDurationMs or longer, successful or not. */
  slowCalls: number;
  timeouts: number;
  /** Calls whose error does not count (isFailure false). */
  ignored: number;
  /** Calls refused without being made (OPEN, FORCED_OPEN, HALF_OPEN past its probes). */
  rejected: number;
}

/** Thrown instead of making the call while the breaker is OPEN, FORCED_OPEN or HALF_OPEN with all probes out. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor(
    readonly breaker: string,
    readonly state: BreakerState,
    /** How long until the breaker may admit a call again (ms, at least 1000 when not known better). */
    readonly retryAfterMs: number,
  ) {
    super(`circuit breaker ${breaker} is ${state}: call not made`);
  }
}

/** A call that did not finish within callTimeoutMs; it was aborted and counts as a failure. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`call through ${breaker} timed out after ${timeoutMs} ms`);
  }
}

interface Permit {
  /** The state generation the call was admitted in; a result from an older one is counted in totals only. */
  epoch: number;
  probe: boolean;
}

/**
 * A circuit breaker around calls to one dependency. CLOSED judges a sliding window (count or time) and opens once
 * it holds at least `minimumCalls` and the failure ratio or the slow-call ratio reaches its threshold. OPEN rejects
 * every call for `openWaitMs`, then HALF_OPEN admits `halfOpenProbes` calls and rejects the rest at once: one
 * failed or slow probe re-opens it with a new wait, all probes good close it with a fresh window. Errors that
 * `isFailure` rejects are not counted. An operator may force it open or disable it (setMode). Every change of state
 * is one event to the onTransition listeners. State is per process.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly options: Required<Omit<CircuitBreakerOptions, 'window' | 'name'>>;
  private readonly window: SlidingWindow;
  private current: BreakerState = 'CLOSED';
  private since: number;
  private openUntil = 0;
  private probesAdmitted = 0;
  private probesPassed = 0;
  private epoch = 0;
  private mode: BreakerMode = 'AUTO';
  private readonly listeners = new Set<(transition: BreakerTransition) => void>();
  private readonly counters: BreakerTotals = { successes: 0, failures: 0, slowCalls: 0, timeouts: 0, ignored: 0, rejected: 0 };

  /** @throws RangeError when an option is out of range */
  constructor(options: CircuitBreakerOptions) {
    const { window } = options;
    if (!(window.type === 'count' || window.type === 'time') || !Number.isInteger(window.size) || window.size < 1) {
      throw new RangeError(`window must be {type: 'count' | 'time', size: integer >= 1}, got ${JSON.stringify(window)}`);
    }
    positiveInteger('minimumCalls', options.minimumCalls);
    positiveInteger('halfOpenProbes', options.halfOpenProbes);
    positiveInteger('openWaitMs', options.openWaitMs);
    positiveInteger('slowCallDurationMs', options.slowCallDurationMs);
    for (const [label, value] of [['failureRateThreshold', options.failureRateThreshold], ['slowCallRateThreshold', options.slowCallRateThreshold]] as const) {
      if (!(value > 0 && value <= 100)) throw new RangeError(`${label} must be a percentage in (0, 100], got ${value}`);
    }
    const callTimeoutMs = options.callTimeoutMs ?? 0;
    if (!Number.isInteger(callTimeoutMs) || callTimeoutMs < 0) throw new RangeError(`callTimeoutMs must be an integer >= 0, got ${callTimeoutMs}`);
    this.name = options.name;
    this.options = {
      minimumCalls: options.minimumCalls,
      failureRateThreshold: options.failureRateThreshold,
      slowCallRateThreshold: options.slowCallRateThreshold,
      slowCallDurationMs: options.slowCallDurationMs,
      openWaitMs: options.openWaitMs,
      halfOpenProbes: options.halfOpenProbes,
      callTimeoutMs,
      isFailure: options.isFailure ?? (() => true),
      clock: options.clock ?? Date.now,
      timers: options.timers ?? REAL_TIMERS,
    };
    this.window = createWindow(window, this.options.clock);
    this.since = this.options.clock();
  }

  /** The state now: an OPEN breaker whose wait is over is HALF_OPEN from this moment. */
  state(): BreakerState {
    if (this.current === 'OPEN' && this.options.clock() >= this.openUntil) {
      this.transition('HALF_OPEN', `waited ${this.options.openWaitMs} ms in OPEN`);
    }
    return this.current;
  }

  /** State, since when, and the window's counts. */
  snapshot(): BreakerSnapshot {
    const state = this.state();
    return { state, since: this.since, ...this.window.counts() };
  }

  /** Calls by outcome since the breaker was made. */
  totals(): Readonly<BreakerTotals> {
    return { ...this.counters };
  }

  /** The operator's mode. */
  getMode(): BreakerMode {
    return this.mode;
  }

  /**
   * Applies an operator's mode: FORCED_OPEN rejects every call, DISABLED admits every call and judges none, AUTO
   * hands control back to the state machine, from CLOSED with a fresh window. Setting the current mode does nothing.
   */
  setMode(mode: BreakerMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    const to: BreakerState = mode === 'AUTO' ? 'CLOSED' : mode;
    this.transition(to, `operator set ${mode}`);
  }

  /** Calls `listener` on every change of state; returns the function that removes it. */
  onTransition(listener: (transition: BreakerTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Makes the call if the breaker admits it, times it out (aborting its signal) after callTimeoutMs, and records
   * its outcome.
   * @throws BreakerOpenError without calling `call` when the breaker does not admit it
   * @throws CallTimeoutError when the call took longer than callTimeoutMs
   * @throws whatever `call` throws
   */
  async execute<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const permit = this.acquire();
    const { clock, timers, callTimeoutMs } = this.options;
    const started = clock();
    const controller = new AbortController();
    let timer: unknown;
    let timeoutError: CallTimeoutError | undefined;
    const timeout =
      callTimeoutMs > 0
        ? new Promise<never>((_, reject) => {
            timer = timers.setTimeout(() => {
              timeoutError = new CallTimeoutError(this.name, callTimeoutMs);
              controller.abort(timeoutError);
              reject(timeoutError);
            }, callTimeoutMs);
          })
        : undefined;
    try {
      const pending = call(controller.signal);
      const result = await (timeout ? Promise.race([pending, timeout]) : pending);
      this.complete(permit, clock() - started, undefined);
      return result;
    } catch (error) {
      // A call that rejects because its signal was aborted reports the timeout, not its own AbortError.
      const cause = timeoutError ?? error;
      this.complete(permit, clock() - started, cause);
      throw cause;
    } finally {
      if (timer !== undefined) timers.clearTimeout(timer);
    }
  }

  private acquire(): Permit {
    const state = this.state();
    switch (state) {
      case 'CLOSED':
      case 'DISABLED':
        return { epoch: this.epoch, probe: false };
      case 'HALF_OPEN':
        if (this.probesAdmitted < this.options.halfOpenProbes) {
          this.probesAdmitted++;
          return { epoch: this.epoch, probe: true };
        }
        return this.reject(state, 1000);
      case 'OPEN':
        return this.reject(state, Math.max(1000, this.openUntil - this.options.clock()));
      case 'FORCED_OPEN':
        return this.reject(state, this.options.openWaitMs);
    }
  }

  private reject(state: BreakerState, retryAfterMs: number): never {
    this.counters.rejected++;
    throw new BreakerOpenError(this.name, state, retryAfterMs);
  }

  private complete(permit: Permit, durationMs: number, error: unknown): void {
    const slow = durationMs >= this.options.slowCallDurationMs;
    if (error !== undefined && !this.options.isFailure(error)) {
      this.counters.ignored++;
      // An ignored call says nothing about the dependency: its probe slot goes to another call.
      if (permit.probe && permit.epoch === this.epoch && this.current === 'HALF_OPEN') this.probesAdmitted--;
      return;
    }
    const failed = error !== undefined;
    if (failed) this.counters.failures++;
    else this.counters.successes++;
    if (slow) this.counters.slowCalls++;
    if (error instanceof CallTimeoutError) this.counters.timeouts++;
    // A call admitted before the last change of state is history: it must not decide the new state.
    if (permit.epoch !== this.epoch) return;
    if (this.current === 'CLOSED') {
      this.window.record({ failed, slow });
      this.judgeWindow();
    } else if (this.current === 'HALF_OPEN') {
      if (failed || slow) {
        this.transition('OPEN', `a probe ${failed ? 'failed' : `took ${durationMs} ms`}`);
      } else if (++this.probesPassed >= this.options.halfOpenProbes) {
        this.transition('CLOSED', `${this.probesPassed} probes succeeded`);
      }
    }
  }

  private judgeWindow(): void {
    const { calls, failures, slowCalls } = this.window.counts();
    if (calls < this.options.minimumCalls) return;
    const failureRate = (failures * 100) / calls;
    const slowRate = (slowCalls * 100) / calls;
    if (failureRate >= this.options.failureRateThreshold) {
      this.transition('OPEN', `${failures} of ${calls} calls failed (${round(failureRate)}% >= ${this.options.failureRateThreshold}%)`);
    } else if (slowRate >= this.options.slowCallRateThreshold) {
      this.transition(
        'OPEN',
        `${slowCalls} of ${calls} calls took ${this.options.slowCallDurationMs} ms or more (${round(slowRate)}% >= ${this.options.slowCallRateThreshold}%)`,
      );
    }
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.current;
    const at = this.options.clock();
    const counts = this.window.counts();
    this.current = to;
    this.since = at;
    this.epoch++;
    this.probesAdmitted = 0;
    this.probesPassed = 0;
    if (to === 'OPEN') this.openUntil = at + this.options.openWaitMs;
    if (to === 'CLOSED' || to === 'OPEN') this.window.reset();
    const event: BreakerTransition = { name: this.name, from, to, reason, at, counts };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure (a log sink, a metric) must not leave the breaker half-transitioned.
      }
    }
  }
}

function positiveInteger(label: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${label} must be an integer >= 1, got ${value}`);
}

function round(percent: number): number {
  return Math.round(percent * 10) / 10;
}
