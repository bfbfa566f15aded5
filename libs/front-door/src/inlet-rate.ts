/** What the inlet looks at before each step to tell whether the funnel behind the waiting room is saturated. */
export interface FunnelSignals {
  /** Share of purchases operators shed with the purchaseShedPercent switch (0-100). */
  shedPercent: number;
  /** Mean event-loop delay of the leader instance over the last interval, in ms. */
  eventLoopDelayMs: number;
  /** Reservations in the activity's stream that the relay has not handed to the order queue yet. */
  relayBacklog: number;
}

/** Where the signals start to lower the rate. */
export interface InletLimits {
  /** The delay at which the service sheds requests (SHED_MAX_EVENT_LOOP_DELAY_MS); lowering starts at half of it. */
  maxEventLoopDelayMs: number;
  /** A relay backlog above this lowers the rate in proportion. */
  maxRelayBacklog: number;
}

/** The rate the inlet runs at, and why it is below the configured one. */
export interface InletRate {
  /** Admissions per second (fractional rates are fine: the inlet carries the remainder over). */
  rate: number;
  /** rate / configured rate, in [0, 1]. */
  factor: number;
  /** The signals that lowered it, e.g. ['shedding', 'event-loop'] (empty at full rate). */
  reasons: string[];
}

/** Lag or backlog never stop the room outright: a tenth of the rate keeps the queue moving while it recovers. */
const MIN_FACTOR = 0.1;

/**
 * The waiting room's admission rate for the next inlet step: the activity's `admitPerSecond`, lowered while the
 * funnel behind it is saturated. Each signal gives a factor and the factors multiply:
 * - shedding: operators shed p% of purchases, so admit (100 − p)% (100% shed stops admission: nobody could buy);
 * - event loop: no effect up to half the shedding threshold, then down linearly to a tenth at the threshold, so the
 *   room slows before the service starts answering 503;
 * - relay backlog: above the limit, in proportion (twice the limit → half the rate), at least a tenth.
 */
export function inletRate(admitPerSecond: number, signals: FunnelSignals, limits: InletLimits): InletRate {
  const reasons: string[] = [];
  let factor = 1;
  if (signals.shedPercent > 0) {
    factor *= Math.max(0, 100 - Math.min(100, signals.shedPercent)) / 100;
    reasons.push('shedding');
  }
  const lagFrom = limits.maxEventLoopDelayMs / 2;
  if (signals.eventLoopDelayMs > lagFrom) {
    const over = Math.min(1, (signals.eventLoopDelayMs - lagFrom) / (limits.maxEventLoopDelayMs - lagFrom));
    factor *= MIN_FACTOR + (1 - over) * (1 - MIN_FACTOR);
    reasons.push('event-loop');
  }
  if (signals.relayBacklog > limits.maxRelayBacklog) {
    factor *= Math.max(MIN_FACTOR, limits.maxRelayBacklog / signals.relayBacklog);
    reasons.push('relay-backlog');
  }
  return { rate: admitPerSecond * factor, factor, reasons };
}

/**
 * An honest wait estimate in whole seconds: the shoppers ahead at the rate the inlet runs at now, plus the time left
 * before the start (admission begins then). With the room paused (rate 0) it is the time at the configured rate.
 */
export function estimatedWaitSeconds(ahead: number, rate: number, configuredRate: number, msToStart: number): number {
  const perSecond = rate > 0 ? rate : configuredRate;
  const queue = ahead > 0 && perSecond > 0 ? ahead / perSecond : 0;
  return Math.ceil(queue + Math.max(0, msToStart) / 1000);
}
