import { Logger } from '@nestjs/common';
import {
  ChargeAnswer,
  ChargeRequest,
  LedgerPage,
  PROVIDER_PATHS,
  RefundAnswer,
} from '@seckill/contracts';
import {
  BreakerMode,
  BreakerOpenError,
  CallTimeoutError,
  CircuitBreaker,
  CircuitBreakerOptions,
  TokenBucket,
} from '@seckill/flow-control';

/** Why a provider call was not made or did not give an answer; the caller answers 503 PAYMENT_UNAVAILABLE. */
export type UnavailableReason = 'breaker-open' | 'rate-limited' | 'throttled' | 'timeout' | 'failing';

/** The provider could not be asked, or did not answer: the outcome of the call is unknown or it was not made. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
  constructor(
    message: string,
    readonly reason: UnavailableReason,
    /** Whole seconds, at least 1: the Retry-After to give the shopper. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The card was declined: a final, business answer. It does not count against the provider's health. */
export class ChargeDeclinedError extends Error {
  override readonly name = 'ChargeDeclinedError';
  constructor(readonly charge: ChargeAnswer) {
    super(`charge ${charge.chargeId} declined`);
  }
}

/** The provider refused the request as invalid (4xx other than 429): our request is wrong, not the provider down. */
export class ProviderRejectedError extends Error {
  override readonly name = 'ProviderRejectedError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the provider refused the request with ${status}: ${body.slice(0, 200)}`);
  }
}

/** This process's outbound bucket is empty: the call was not made. */
class OutboundRateLimitedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('outbound provider rate limit reached');
  }
}

/** An answer with status >= 500, or 429. */
class ProviderHttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the provider answered ${status}`);
  }
}

export interface PaymentProviderOptions {
  /** Base URL of the provider (PAYMENT_PROVIDER_URL). */
  baseUrl: string;
  /** Outbound calls per second and the bucket's capacity (the provider's own cap, per process). */
  ratePerSecond: number;
  burst: number;
  /** The breaker's settings; callTimeoutMs is each call's timeout. */
  breaker: CircuitBreakerOptions;
  /** The operator's mode (the paymentBreaker switch), read before every call. */
  mode?: () => BreakerMode;
}

/**
 * The payment adapter: the only code that talks to the payment provider. Every call goes through the circuit breaker
 * (which rejects at once while open and times each call out, aborting its request), then the outbound token bucket
 * (so this process never sends more than the provider's cap), then fetch. A declined card, a request the provider
 * refuses as invalid, a 429 and our own empty bucket are not the provider failing, so the breaker does not count
 * them; 5xx answers, network errors and timeouts are.
 */
export class PaymentProvider {
  readonly breaker: CircuitBreaker;
  private readonly bucket: TokenBucket;
  private readonly logger = new Logger('payment-provider');

  constructor(private readonly options: PaymentProviderOptions) {
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      isFailure: (error) =>
        !(error instanceof ChargeDeclinedError) &&
        !(error instanceof ProviderRejectedError) &&
        !(error instanceof OutboundRateLimitedError) &&
        !(error instanceof ProviderHttpError && error.status === 429),
    });
    this.bucket = new TokenBucket(options.ratePerSecond, options.burst, options.breaker.clock);
    this.breaker.onTransition((event) => {
      const line = `breaker ${event.name}: ${event.from} → ${event.to} (${event.reason}; window ${event.counts.calls} calls, ${event.counts.failures} failed, ${event.counts.slowCalls} slow)`;
      if (event.to === 'CLOSED' || event.to === 'HALF_OPEN') this.logger.log(line);
      else this.logger.warn(line);
    });
  }

  /** Applies the operator's mode now (also done before every call). */
  syncMode(): void {
    if (this.options.mode) this.breaker.setMode(this.options.mode());
  }

  /**
   * Charges once per idempotency key.
   * @returns the charge (SUCCEEDED, or REFUNDED when the key's charge was refunded since)
   * @throws ChargeDeclinedError, ProviderUnavailableError, ProviderRejectedError
   */
  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    return this.call(async (signal) => {
      const answer = await this.send<ChargeAnswer>('POST', PROVIDER_PATHS.charges, request, signal);
      if (answer.status === 'DECLINED') throw new ChargeDeclinedError(answer);
      return answer;
    });
  }

  /**
   * Refunds a succeeded charge in full, once per charge.
   * @throws ProviderUnavailableError, ProviderRejectedError
   */
  async refund(chargeId: string, idempotencyKey: string): Promise<RefundAnswer> {
    return this.call((signal) => this.send<RefundAnswer>('POST', PROVIDER_PATHS.refunds, { chargeId, idempotencyKey }, signal));
  }

  /**
   * The provider's ledger: charges made at or after `since`.
   * @throws ProviderUnavailableError, ProviderRejectedError
   */
  async ledger(since: Date): Promise<LedgerPage> {
    const query = new URLSearchParams({ since: since.toISOString() });
    return this.call((signal) => this.send<LedgerPage>('GET', `${PROVIDER_PATHS.charges}?${query}`, undefined, signal));
  }

  private async call<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.syncMode();
    try {
      return await this.breaker.execute(async (signal) => {
        if (!this.bucket.tryTake()) throw new OutboundRateLimitedError(this.bucket.retryAfterSeconds());
        return work(signal);
      });
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    if (error instanceof ChargeDeclinedError || error instanceof ProviderRejectedError) return error;
    if (error instanceof BreakerOpenError) {
      return new ProviderUnavailableError(error.message, 'breaker-open', Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
    }
    if (error instanceof OutboundRateLimitedError) {
      return new ProviderUnavailableError(error.message, 'rate-limited', error.retryAfterSeconds);
    }
    if (error instanceof CallTimeoutError) return new ProviderUnavailableError(error.message, 'timeout', 1, { cause: error });
    if (error instanceof ProviderHttpError) {
      return new ProviderUnavailableError(error.message, error.status === 429 ? 'throttled' : 'failing', error.retryAfterSeconds);
    }
    return new ProviderUnavailableError(`the provider is unreachable: ${(error as Error).message}`, 'failing', 1, { cause: error });
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const response = await fetch(`${this.options.baseUrl}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as T;
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new ProviderHttpError(response.status, Number.isInteger(retryAfter) && retryAfter > 0 ? retryAfter : 1);
    }
    throw new ProviderRejectedError(response.status, text);
  }
}
