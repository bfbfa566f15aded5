import { Injectable } from '@nestjs/common';
import { KeyedRateLimiter, SwitchesService } from '@seckill/flow-control';
import { DomainError } from '@seckill/platform';

/** Shoppers whose last result poll is remembered per instance; older ones come back with a fresh allowance. */
const POLLERS = 200_000;
/** Retry-After of a paused token issuance: long enough to thin the retries, short enough to resume quickly. */
const TOKEN_PAUSE_RETRY_SECONDS = 5;

/**
 * The switches that degrade the non-core reads of the seckill service (plan level 1): result polling slowed, the
 * catalog served from its caches only, and the purchase-token issuance paused. The purchase itself is never
 * touched here (purchaseShedPercent sheds purchases; see PurchaseService). Every check reads the in-memory switch
 * values, so a degraded instance does no more work than a healthy one.
 */
@Injectable()
export class ReadDegradation {
  private polls: { seconds: number; limiter: KeyedRateLimiter } | undefined;

  constructor(private readonly switches: SwitchesService) {}

  /** 503 DEGRADED (Retry-After: the rest of the interval) for a shopper polling sooner than `resultPollSeconds`. */
  assertResultPoll(userId: string): void {
    const seconds = this.switches.get('resultPollSeconds');
    if (seconds <= 0) {
      this.polls = undefined;
      return;
    }
    if (this.polls?.seconds !== seconds) {
      this.polls = { seconds, limiter: new KeyedRateLimiter({ ratePerSecond: 1 / seconds, burst: 1, maxKeys: POLLERS }) };
    }
    const decision = this.polls.limiter.take(userId);
    if (!decision.ok) {
      throw new DomainError('DEGRADED', `results are polled at most every ${seconds} s during the peak`, {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
  }

  /** 503 DEGRADED while token issuance is paused. */
  assertTokensIssued(): void {
    if (!this.switches.get('tokenIssuance')) {
      throw new DomainError('DEGRADED', 'purchase tokens are paused for a moment; try again shortly', {
        retryAfterSeconds: TOKEN_PAUSE_RETRY_SECONDS,
      });
    }
  }

  /** Whether catalog reads must be answered from the caches alone. */
  get catalogCacheOnly(): boolean {
    return this.switches.get('catalogCacheOnly');
  }
}
