/** Every error code of the HTTP contract (docs/api.md), with its status and whether a client may retry. */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, retryable: false },
  INVALID_SECKILL_TOKEN: { status: 400, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  USERNAME_TAKEN: { status: 409, retryable: false },
  NOT_STARTED: { status: 409, retryable: true },
  ALREADY_PURCHASED: { status: 409, retryable: false },
  ORDER_NOT_PAYABLE: { status: 409, retryable: false },
  ALREADY_STARTED: { status: 409, retryable: false },
  /** The waiting room has not admitted this shopper yet; the body carries `position`. */
  NOT_ADMITTED: { status: 409, retryable: true },
  /** The activity's proof-of-work answer is missing, wrong, reused or expired. */
  CHALLENGE_FAILED: { status: 400, retryable: false },
  /** The activity's participant cap is reached. */
  FULL: { status: 410, retryable: false },
  SOLD_OUT: { status: 410, retryable: false },
  ENDED: { status: 410, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  URI_TOO_LONG: { status: 414, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  BUSY: { status: 503, retryable: true },
  DEGRADED: { status: 503, retryable: true },
  PAYMENT_UNAVAILABLE: { status: 503, retryable: true },
  /** Not in the contract's table: an unexpected failure. The body never carries its cause. */
  INTERNAL: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every response with status >= 400. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: unknown;
  /** Only on ALREADY_PURCHASED: the reservation the user already holds. */
  reservationId?: string;
  /** Only on NOT_ADMITTED: the shopper's place in the waiting room. */
  position?: number;
}
