import type Redis from 'ioredis';
import type { BreakerSnapshot, BreakerState } from '@seckill/flow-control';
import { RedisKeys } from '@seckill/platform';

/** Each payment instance writes its breaker's state about once a second; an entry this old is a gone instance. */
export const BREAKER_STATE_STALE_MS = 5000;

/** The hash of the payment instances' breaker states: field = instance id, value = BreakerStateEntry as JSON. */
export function paymentBreakersKey(keys: RedisKeys): string {
  return keys.key('payment', 'breakers');
}

/** One payment instance's breaker, as it last wrote it. */
export interface BreakerStateEntry {
  instance: string;
  state: BreakerState;
  /** When it entered this state (ms). */
  since: number;
  /** Calls, failures and slow calls in the breaker's window. */
  calls: number;
  failures: number;
  slowCalls: number;
  /** When the instance wrote this (ms). */
  at: number;
}

/** The stored form of a breaker snapshot. */
export function encodeBreakerState(snapshot: BreakerSnapshot, at: number): string {
  const { state, since, calls, failures, slowCalls } = snapshot;
  return JSON.stringify({ state, since, calls, failures, slowCalls, at });
}

/**
 * The breaker state of every live payment instance (each breaker is per process: with N replicas, N breakers),
 * newest first; entries older than `staleAfterMs` and malformed ones are left out.
 */
export async function readPaymentBreakers(
  redis: Redis,
  keys: RedisKeys,
  now = Date.now(),
  staleAfterMs = BREAKER_STATE_STALE_MS,
): Promise<BreakerStateEntry[]> {
  const stored = await redis.hgetall(paymentBreakersKey(keys));
  const entries: BreakerStateEntry[] = [];
  for (const [instance, json] of Object.entries(stored)) {
    try {
      const entry = { instance, ...(JSON.parse(json) as Omit<BreakerStateEntry, 'instance'>) };
      if (typeof entry.at === 'number' && now - entry.at <= staleAfterMs && typeof entry.state === 'string') entries.push(entry);
    } catch {
      // A malformed entry is skipped: it says nothing reliable.
    }
  }
  return entries.sort((a, b) => b.at - a.at);
}
