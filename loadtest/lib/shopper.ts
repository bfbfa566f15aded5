import { Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { Next, Script, Step } from './actors';

/**
 * A synthetic shopper of the flash sale, as the shop page behaves: (with a waiting room) join it and poll the place
 * until admitted; (with a proof-of-work) fetch a challenge and solve it; ask for the purchase token; purchase. Every
 * retryable refusal (NOT_STARTED, NOT_ADMITTED, RATE_LIMITED, BUSY, DEGRADED, a 5xx, no answer) is tried again after
 * a backoff that never comes before the answer's Retry-After.
 */
export interface Shopper {
  userId: string;
  authorization: string;
  phase: 'join' | 'queue' | 'challenge' | 'token' | 'purchase';
  /** `{challenge, solution}` once solved. */
  tokenBody?: string;
  /** `{"token": ...}` once the token endpoint gave one. */
  purchaseBody?: string;
  /** Retries in a row (the backoff grows with it). */
  attempts: number;
  /** Challenges refused (a fresh one is fetched, a few times at most). */
  challengeFailures: number;
  /** How it ended: WON, or the error code that ended it (SOLD_OUT, ...), or GAVE_UP. */
  outcome?: string;
  reservationId?: string;
  /** ms since epoch of the answer that won. */
  wonAt?: number;
}

export interface ShopperScriptOptions {
  activityId: number;
  waitingRoom: boolean;
  challenge: boolean;
  /** Retries of one step before the shopper gives up. */
  maxAttempts: number;
}

const MAX_BACKOFF_MS = 5000;

/** Seconds of a Retry-After header (delta-seconds form, as the API sends it), or undefined. */
function retryAfterMs(headers: Record<string, string | string[]>): number | undefined {
  const raw = headers['retry-after'] ?? headers['Retry-After'];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
}

/** Exponential backoff from 100 ms, capped, never sooner than Retry-After, with jitter so retries do not march in step. */
export function backoffMs(attempts: number, retryAfter: number | undefined): number {
  const exponential = Math.min(100 * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  const base = Math.max(exponential, retryAfter ?? 0);
  return Math.round(base + Math.random() * Math.min(250, base / 2 + 20));
}

function parse(body: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const RETRYABLE = new Set(['NOT_STARTED', 'NOT_ADMITTED', 'RATE_LIMITED', 'BUSY', 'DEGRADED', 'INTERNAL']);

export function shopperScript(options: ShopperScriptOptions): Script<Shopper> {
  const base = `/api/activities/${options.activityId}`;
  const json = (shopper: Shopper) => ({ 'content-type': 'application/json', authorization: shopper.authorization });
  const end = (shopper: Shopper, outcome: string): Next => {
    shopper.outcome = outcome;
    return { done: true };
  };
  const retry = (shopper: Shopper, headers: Record<string, string | string[]>): Next => {
    shopper.attempts++;
    if (shopper.attempts > options.maxAttempts) return end(shopper, 'GAVE_UP');
    return { waitMs: backoffMs(shopper.attempts, retryAfterMs(headers)) };
  };
  const afterAdmission = (shopper: Shopper): Shopper['phase'] => (options.challenge && !shopper.tokenBody ? 'challenge' : 'token');

  return {
    step(shopper: Shopper): Step {
      switch (shopper.phase) {
        case 'join':
          return { kind: 'queue', method: 'POST', path: `${base}/queue`, headers: { authorization: shopper.authorization } };
        case 'queue':
          return { kind: 'queue', method: 'GET', path: `${base}/queue`, headers: { authorization: shopper.authorization } };
        case 'challenge':
          return { kind: 'challenge', method: 'GET', path: `${base}/challenge`, headers: { authorization: shopper.authorization } };
        case 'token':
          return shopper.tokenBody
            ? { kind: 'token', method: 'POST', path: `${base}/token`, headers: json(shopper), body: shopper.tokenBody }
            : { kind: 'token', method: 'POST', path: `${base}/token`, headers: { authorization: shopper.authorization } };
        case 'purchase':
          return { kind: 'purchase', method: 'POST', path: `${base}/purchase`, headers: json(shopper), body: shopper.purchaseBody };
      }
    },

    answer(shopper, status, body, headers): Next {
      const answer = parse(body);
      const code = typeof answer.code === 'string' ? answer.code : status >= 400 ? `HTTP_${status}` : '';
      if (status >= 500 || RETRYABLE.has(code)) {
        if (code === 'NOT_ADMITTED') shopper.phase = 'queue';
        if (code === 'NOT_STARTED' && shopper.phase === 'token' && options.challenge) {
          // The challenge was not used up (the refusal came first) but may expire while the shopper waits its turn.
          shopper.tokenBody = undefined;
          shopper.phase = 'challenge';
        }
        return retry(shopper, headers);
      }
      switch (shopper.phase) {
        case 'join':
        case 'queue': {
          if (status !== 200) return end(shopper, code);
          const place = answer as { status?: string; estimatedWaitSeconds?: number };
          shopper.attempts = 0;
          if (place.status === 'ADMITTED') {
            shopper.phase = afterAdmission(shopper);
            return { ready: true };
          }
          if (place.status === 'CLOSED') return end(shopper, 'CLOSED');
          if (place.status === 'EXPIRED') {
            shopper.phase = 'join';
            return { ready: true };
          }
          shopper.phase = 'queue';
          // Poll about twice per estimated wait, between a quarter second and three seconds, as the shop page does.
          const estimate = (place.estimatedWaitSeconds ?? 1) * 1000;
          return { waitMs: Math.round(Math.min(3000, Math.max(250, estimate / 2)) * (0.8 + Math.random() * 0.4)) };
        }
        case 'challenge': {
          if (status === 404 && code === 'NOT_FOUND') {
            shopper.phase = 'token';
            return { ready: true };
          }
          if (status !== 200) return end(shopper, code);
          const encoded = String(answer.challenge);
          shopper.attempts = 0;
          return {
            later: solve(encoded).then((solution): Next => {
              if (!solution) return end(shopper, 'UNSOLVED');
              shopper.tokenBody = JSON.stringify({ challenge: encoded, solution });
              shopper.phase = 'token';
              return { ready: true };
            }),
          };
        }
        case 'token': {
          if (status === 200 && typeof answer.token === 'string') {
            shopper.purchaseBody = JSON.stringify({ token: answer.token });
            shopper.phase = 'purchase';
            shopper.attempts = 0;
            return { ready: true };
          }
          if (code === 'CHALLENGE_FAILED' && shopper.challengeFailures++ < 3) {
            shopper.tokenBody = undefined;
            shopper.phase = 'challenge';
            return { ready: true };
          }
          return end(shopper, code);
        }
        case 'purchase': {
          if (status === 202 || code === 'ALREADY_PURCHASED') {
            // ALREADY_PURCHASED: an earlier attempt of this shopper was accepted though its answer was lost.
            shopper.reservationId = String(answer.reservationId ?? '');
            shopper.wonAt = Date.now();
            return end(shopper, 'WON');
          }
          if (code === 'INVALID_SECKILL_TOKEN' && shopper.attempts++ < 2) {
            shopper.phase = 'token';
            return { ready: true };
          }
          return end(shopper, code);
        }
      }
    },

    lost(shopper): Next {
      return retry(shopper, {});
    },
  };
}

async function solve(encoded: string): Promise<{ counter: number; derivedKey: string } | null> {
  try {
    const challenge = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Challenge;
    const solution = await solveChallenge({ challenge, deriveKey });
    return solution ? { counter: solution.counter, derivedKey: solution.derivedKey } : null;
  } catch {
    return null;
  }
}
