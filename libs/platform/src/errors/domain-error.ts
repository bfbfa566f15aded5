import { ERROR_CODES, ErrorCode } from '@seckill/contracts';

export interface DomainErrorOptions {
  details?: unknown;
  /** Seconds; sent as Retry-After (429 and 503 always carry one, 1 s when not given). */
  retryAfterSeconds?: number;
  /** Extra fields of the error body, e.g. reservationId on ALREADY_PURCHASED, position on NOT_ADMITTED. */
  extra?: Record<string, string | number>;
  cause?: unknown;
}

/**
 * An error the API reports to its client: it carries a contract error code (docs/api.md), and the global
 * exception filter turns it into the error body and status of that code.
 */
export class DomainError extends Error {
  declare readonly name: 'DomainError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;
  readonly extra?: Record<string, string | number>;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    // An expected outcome (SOLD_OUT, RATE_LIMITED...) thrown on the hot path thousands of times a second: capturing
    // a stack trace is most of its cost and nobody reads it. A cause, if any, keeps its own stack.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    Object.defineProperty(this, 'name', { value: 'DomainError', enumerable: false });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extra = options.extra;
  }

  /**
   * The status under the name Fastify's error handlers read: a plugin with its own handler (the queue board's) would
   * otherwise answer 500 to an error raised before any route, such as the request edge's 415.
   */
  get statusCode(): number {
    return this.status;
  }
}
