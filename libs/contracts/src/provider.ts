/**
 * The payment provider's wire contract: what the payment adapter sends to paysim and what paysim answers and
 * notifies. Both sides build on these types, so they cannot drift apart.
 */

/** Paths of the provider's API. */
export const PROVIDER_PATHS = {
  charges: '/provider/charges',
  refunds: '/provider/refunds',
  faults: '/provider/faults',
  /** paysim's own record of the requests it received (operator key), so tests can count them. */
  requests: '/provider/requests',
} as const;

/** Header names of the provider's API (lower case, as Node reports them). */
export const PROVIDER_HEADERS = {
  /** HMAC-SHA256 of the raw notification body under PAYMENT_WEBHOOK_SECRET, hex. */
  signature: 'x-signature',
  /** PROVIDER_ADMIN_KEY, for the operator endpoints. */
  adminKey: 'x-provider-admin-key',
} as const;

/** `POST /provider/charges`. The provider charges once per idempotency key, whatever the number of requests. */
export interface ChargeRequest {
  /** The merchant's reference: our payment id. */
  merchantRef: string;
  amountCents: number;
  idempotencyKey: string;
}

/** A charge's state at the provider. DECLINED is final (a business outcome); REFUNDED follows SUCCEEDED. */
export type ChargeStatus = 'SUCCEEDED' | 'DECLINED' | 'REFUNDED';

/** The answer to a charge request. */
export interface ChargeAnswer {
  chargeId: string;
  merchantRef: string;
  amountCents: number;
  status: ChargeStatus;
}

/** `POST /provider/refunds`: refunds a succeeded charge in full, once per charge. */
export interface RefundRequest {
  chargeId: string;
  idempotencyKey: string;
}

export interface RefundAnswer {
  refundId: string;
  chargeId: string;
  amountCents: number;
  status: 'SUCCEEDED';
}

/** One charge in the provider's ledger (`GET /provider/charges?since=`). */
export interface LedgerEntry {
  chargeId: string;
  merchantRef: string;
  idempotencyKey: string;
  amountCents: number;
  status: ChargeStatus;
  createdAt: string;
  refundId: string | null;
  refundedAt: string | null;
}

/** `GET /provider/charges?since=`: the charges made since then, oldest first. */
export interface LedgerPage {
  items: LedgerEntry[];
  /** True when more charges matched than one answer holds (see limit). */
  truncated: boolean;
}

/** What a notification says happened. */
export type ProviderEventType = 'charge.succeeded' | 'charge.declined' | 'charge.refunded';

/** The body of a notification (`POST` to the callback URL), signed as a whole. */
export interface ProviderEvent {
  eventId: string;
  type: ProviderEventType;
  chargeId: string;
  merchantRef: string;
  amountCents: number;
  /** The charge's status when the event was made. */
  status: ChargeStatus;
  /** Set on charge.refunded. */
  refundId: string | null;
  occurredAt: string;
}

/**
 * paysim's behaviour (`PUT /provider/faults`, operator key). A PUT replaces the whole set: a field left out goes
 * back to its default (0 or false), so `{}` clears every fault.
 */
export interface ProviderFaults {
  /** Delays every answer, failures included (ms). */
  latencyMs: number;
  /** Share (0-1) of charges and refunds answered 500 without being made. */
  failureRate: number;
  /** Answers 503 to every provider request. */
  down: boolean;
  /** Share (0-1) of charges and refunds delayed by slowLatencyMs more. */
  slowRate: number;
  slowLatencyMs: number;
  /** Share (0-1) of charges declined (a business outcome: 200 with status DECLINED). */
  declineRate: number;
  /** Share (0-1) of notifications delivered twice; the copy follows duplicateDelayMs after the original. */
  duplicateRate: number;
  duplicateDelayMs: number;
  /** > 0: notifications made within this window are held and then delivered newest first. */
  reorderWindowMs: number;
  /** Every notification waits this long before its first delivery. */
  callbackDelayMs: number;
}

/** One request paysim received (`GET /provider/requests`). */
export interface ProviderRequestRecord {
  /** Arrival (ms since epoch). */
  at: number;
  method: string;
  path: string;
}
