import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { mapError } from '../errors/error-mapper';

/** Options of registerLoadShedding. */
export interface LoadSheddingOptions {
  /** Shed while the event loop's mean delay over the last sample exceeds this many milliseconds. */
  maxEventLoopDelayMs: number;
  /** Shed a request that arrives while this many requests are already in flight. */
  maxInFlight: number;
  /** Retry-After of a shed request, in whole seconds (default 1). */
  retryAfterSeconds?: number;
  /**
   * URLs (path and query) never shed and not counted. Replaces the default, which exempts health checks and
   * metrics (see isExemptFromLoadShedding) so that a saturated instance still reports itself.
   */
  exempt?: (url: string) => boolean;
  /** How often the event-loop delay is sampled, in milliseconds (default 1000). */
  sampleIntervalMs?: number;
  /**
   * For this long after the server is ready, the event-loop check lets requests through (default 2000 ms): the
   * first samples measure the boot (module setup, connections), not the load, and would shed the first requests
   * of an idle instance. The in-flight bound applies from the start.
   */
  bootGraceMs?: number;
}

/** The default exemption: /health/* and /metrics, which must answer most of all when the service is saturated. */
export function isExemptFromLoadShedding(url: string): boolean {
  return url.startsWith('/health/') || url === '/metrics' || url.startsWith('/metrics?');
}

/**
 * Whether a sampled event-loop delay passes the limit. under-pressure reports an infinite delay when no sample was
 * taken in a whole interval: the loop was blocked for at least the interval, which is all that is known, so it passes
 * only a limit below the interval (a test process sharing its loop with its client saw this under load, with a limit
 * of a minute).
 */
export function lagPastLimit(delayMs: number, limitMs: number, sampleIntervalMs: number): boolean {
  return delayMs === Number.POSITIVE_INFINITY ? limitMs < sampleIntervalMs : delayMs > limitMs;
}

/**
 * Sheds load at the door: answers 503 BUSY (the API's error body, with Retry-After) in the first request hook, before
 * any parsing, routing guard or handler runs, while the event loop lags past `maxEventLoopDelayMs` or while
 * `maxInFlight` requests are already being served. Admitted requests are counted until their response closes, which
 * also happens when the handler fails or the client goes away.
 *
 * Call before the server starts (for Nest, before app.listen or app.init): the event-loop check is a Fastify plugin.
 *
 * @throws RangeError when an option is out of range
 */
export function registerLoadShedding(fastify: FastifyInstance, options: LoadSheddingOptions): void {
  const { maxEventLoopDelayMs, maxInFlight } = options;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  if (!(maxEventLoopDelayMs > 0)) throw new RangeError(`maxEventLoopDelayMs must be > 0, got ${maxEventLoopDelayMs}`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be an integer >= 1, got ${maxInFlight}`);
  }
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 1) {
    throw new RangeError(`retryAfterSeconds must be an integer >= 1, got ${retryAfterSeconds}`);
  }
  const exempt = options.exempt ?? isExemptFromLoadShedding;
  const bootGraceMs = options.bootGraceMs ?? 2000;
  const sampleIntervalMs = options.sampleIntervalMs ?? 1000;
  let graceUntil = Number.POSITIVE_INFINITY;
  fastify.addHook('onReady', (done) => {
    graceUntil = Date.now() + bootGraceMs;
    done();
  });

  // Mapped once: every shed answer is the same, and building it per request would add work exactly when the
  // process can least afford it.
  const lagging = mapError(new DomainError('BUSY', 'the service is overloaded (event loop lagging), retry later', { retryAfterSeconds }));
  const saturated = mapError(new DomainError('BUSY', 'the service is at capacity, retry later', { retryAfterSeconds }));
  const shed = (reply: FastifyReply, answer: typeof lagging): void => {
    void reply.status(answer.status).headers(answer.headers).type('application/json; charset=utf-8').send(answer.body);
  };

  let inFlight = 0;
  // One shared listener, not a closure per request. The raw response's 'close' fires exactly once per response:
  // after it is sent, after a failure, and when the client disconnects, where Fastify's onResponse never fires.
  const release = (): void => {
    inFlight--;
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    if (exempt(request.url)) return done();
    if (inFlight >= maxInFlight) return shed(reply, saturated);
    inFlight++;
    reply.raw.on('close', release);
    done();
  });

  void fastify.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: sampleIntervalMs,
    exposeStatusRoute: false,
    // Returning without sending lets an exempt request through; once the reply is sent, Fastify stops there.
    pressureHandler: (request, reply, type, value) => {
      if (type === 'eventLoopDelay' && !lagPastLimit(value ?? 0, maxEventLoopDelayMs, sampleIntervalMs)) return;
      if (!exempt(request.url) && Date.now() >= graceUntil) shed(reply, lagging);
    },
  });
}
