import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  ChargeAnswer,
  ChargeRequest,
  LedgerEntry,
  LedgerPage,
  ProviderFaults,
  ProviderRequestRecord,
  RefundAnswer,
  RefundRequest,
} from '@seckill/contracts';
import { TokenBucket } from '@seckill/flow-control';
import { AppConfig, DomainError, MetricsService } from '@seckill/platform';
import { CallbackDispatcher } from './callback-dispatcher';

/** Every fault off: what paysim starts with and what `PUT /provider/faults {}` restores. */
export const NO_FAULTS: Readonly<ProviderFaults> = Object.freeze({
  latencyMs: 0,
  failureRate: 0,
  down: false,
  slowRate: 0,
  slowLatencyMs: 0,
  declineRate: 0,
  duplicateRate: 0,
  duplicateDelayMs: 0,
  reorderWindowMs: 0,
  callbackDelayMs: 0,
});

/** Requests remembered for GET /provider/requests; older ones are forgotten. */
const REQUEST_LOG_SIZE = 50_000;

interface Charge {
  chargeId: string;
  merchantRef: string;
  idempotencyKey: string;
  amountCents: number;
  status: 'SUCCEEDED' | 'DECLINED' | 'REFUNDED';
  createdAt: Date;
  refundId: string | null;
  refundedAt: Date | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

/**
 * The provider stand-in: charges and refunds, idempotent per key, with a ledger; an inbound rate cap answered with
 * 429; latency, failures, declines and outages on demand. Everything is in memory: it stands in for a third party
 * whose storage is not ours.
 */
@Injectable()
export class PaysimService {
  private faults: Readonly<ProviderFaults> = NO_FAULTS;
  private readonly byKey = new Map<string, Charge>();
  private readonly byId = new Map<string, Charge>();
  /** In creation order, for the ledger. */
  private readonly ledger: Charge[] = [];
  private readonly refundsByKey = new Map<string, RefundAnswer>();
  private readonly inbound: TokenBucket;
  private readonly log: ProviderRequestRecord[] = [];
  private readonly adminKeyDigest: Buffer;
  private readonly outcomes;

  constructor(
    config: AppConfig,
    private readonly callbacks: CallbackDispatcher,
    metrics: MetricsService,
  ) {
    this.inbound = new TokenBucket(config.PAYSIM_RATE_LIMIT_PER_SECOND, config.PAYSIM_RATE_LIMIT_BURST);
    this.adminKeyDigest = digest(config.PROVIDER_ADMIN_KEY);
    this.outcomes = metrics.counter('paysim_operations_total', 'Charges and refunds by outcome', ['operation', 'outcome']);
  }

  /** Refuses a request without the operator key (401), comparing digests in constant time. */
  assertOperator(key: unknown): void {
    if (typeof key !== 'string' || !timingSafeEqual(digest(key), this.adminKeyDigest)) {
      throw new DomainError('UNAUTHENTICATED', 'X-Provider-Admin-Key is missing or wrong');
    }
  }

  getFaults(): ProviderFaults {
    return { ...this.faults };
  }

  /** Replaces the faults: fields not given go back to their default. */
  setFaults(faults: Partial<ProviderFaults>): ProviderFaults {
    const next = { ...NO_FAULTS };
    for (const key of Object.keys(NO_FAULTS) as Array<keyof ProviderFaults>) {
      if (faults[key] !== undefined) Object.assign(next, { [key]: faults[key] });
    }
    this.faults = Object.freeze(next);
    return this.getFaults();
  }

  /** Whether paysim answers 503 to everything but its operator endpoints. */
  get down(): boolean {
    return this.faults.down;
  }

  record(method: string, path: string): void {
    this.log.push({ at: Date.now(), method, path });
    // Trimmed in steps of a tenth, so that a full log does not shift 50,000 entries on every request.
    if (this.log.length > REQUEST_LOG_SIZE * 1.1) this.log.splice(0, this.log.length - REQUEST_LOG_SIZE);
  }

  requests(since = 0): ProviderRequestRecord[] {
    return this.log.filter((entry) => entry.at >= since);
  }

  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    const faults = await this.admit('charge');
    const existing = this.byKey.get(request.idempotencyKey);
    if (existing) {
      if (existing.amountCents !== request.amountCents || existing.merchantRef !== request.merchantRef) {
        this.outcomes.inc({ operation: 'charge', outcome: 'key_conflict' });
        throw new DomainError('VALIDATION_FAILED', 'idempotencyKey was used for another charge (amount or merchantRef differ)');
      }
      this.outcomes.inc({ operation: 'charge', outcome: 'replayed' });
      return answer(existing);
    }
    const charge: Charge = {
      chargeId: id('ch'),
      merchantRef: request.merchantRef,
      idempotencyKey: request.idempotencyKey,
      amountCents: request.amountCents,
      status: Math.random() < faults.declineRate ? 'DECLINED' : 'SUCCEEDED',
      createdAt: new Date(),
      refundId: null,
      refundedAt: null,
    };
    this.byKey.set(charge.idempotencyKey, charge);
    this.byId.set(charge.chargeId, charge);
    this.ledger.push(charge);
    this.outcomes.inc({ operation: 'charge', outcome: charge.status.toLowerCase() });
    this.callbacks.notify(charge.status === 'SUCCEEDED' ? 'charge.succeeded' : 'charge.declined', eventFields(charge), faults);
    return answer(charge);
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    const faults = await this.admit('refund');
    const done = this.refundsByKey.get(request.idempotencyKey);
    if (done) {
      if (done.chargeId !== request.chargeId) throw new DomainError('VALIDATION_FAILED', 'idempotencyKey was used for another refund');
      return done;
    }
    const charge = this.byId.get(request.chargeId);
    if (!charge) throw new DomainError('NOT_FOUND', `no charge ${request.chargeId}`);
    if (charge.status === 'DECLINED') throw new DomainError('VALIDATION_FAILED', `charge ${charge.chargeId} was declined: nothing to refund`);
    if (charge.status === 'SUCCEEDED') {
      charge.status = 'REFUNDED';
      charge.refundId = id('re');
      charge.refundedAt = new Date();
      this.outcomes.inc({ operation: 'refund', outcome: 'succeeded' });
      this.callbacks.notify('charge.refunded', eventFields(charge), faults);
    }
    // A charge refunded under another key is refunded once: the second request gets the same refund.
    const refund: RefundAnswer = { refundId: charge.refundId as string, chargeId: charge.chargeId, amountCents: charge.amountCents, status: 'SUCCEEDED' };
    this.refundsByKey.set(request.idempotencyKey, refund);
    return refund;
  }

  async ledgerSince(since: Date | undefined, limit: number): Promise<LedgerPage> {
    await this.admit(undefined);
    const from = since?.getTime() ?? 0;
    const matching = this.ledger.filter((charge) => charge.createdAt.getTime() >= from);
    return { items: matching.slice(0, limit).map(ledgerEntry), truncated: matching.length > limit };
  }

  /**
   * What every provider request goes through: an outage answers 503 at once; a charge or refund past the inbound
   * cap answers 429 at once; then the configured latency (and, for a share of calls, more), then the configured
   * failure rate answers 500 without doing anything. Returns the faults in force when the request came in.
   */
  private async admit(operation: 'charge' | 'refund' | undefined): Promise<Readonly<ProviderFaults>> {
    const faults = this.faults;
    if (faults.down) {
      this.outcomes.inc({ operation: operation ?? 'ledger', outcome: 'down' });
      throw new DomainError('BUSY', 'the provider is down (simulated outage)', { retryAfterSeconds: 5 });
    }
    if (operation && !this.inbound.tryTake()) {
      this.outcomes.inc({ operation, outcome: 'rate_limited' });
      throw new DomainError('RATE_LIMITED', 'over the provider rate limit', { retryAfterSeconds: this.inbound.retryAfterSeconds() });
    }
    const slow = faults.slowRate > 0 && Math.random() < faults.slowRate ? faults.slowLatencyMs : 0;
    if (faults.latencyMs + slow > 0) await sleep(faults.latencyMs + slow);
    if (operation && faults.failureRate > 0 && Math.random() < faults.failureRate) {
      this.outcomes.inc({ operation, outcome: 'failed' });
      throw new DomainError('INTERNAL', 'provider failure (simulated)');
    }
    return faults;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function answer(charge: Charge): ChargeAnswer {
  return { chargeId: charge.chargeId, merchantRef: charge.merchantRef, amountCents: charge.amountCents, status: charge.status };
}

function eventFields(charge: Charge) {
  return { chargeId: charge.chargeId, merchantRef: charge.merchantRef, amountCents: charge.amountCents, status: charge.status, refundId: charge.refundId };
}

function ledgerEntry(charge: Charge): LedgerEntry {
  return {
    chargeId: charge.chargeId,
    merchantRef: charge.merchantRef,
    idempotencyKey: charge.idempotencyKey,
    amountCents: charge.amountCents,
    status: charge.status,
    createdAt: charge.createdAt.toISOString(),
    refundId: charge.refundId,
    refundedAt: charge.refundedAt ? charge.refundedAt.toISOString() : null,
  };
}
