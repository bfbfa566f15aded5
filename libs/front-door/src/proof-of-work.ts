import { createHmac, randomInt } from 'node:crypto';
import { Challenge, createChallenge, Solution, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { DomainError } from '@seckill/platform';

/** What GET /api/activities/:id/challenge answers. */
export interface IssuedChallenge {
  /** Opaque: the ALTCHA challenge as base64url JSON; a client decodes it to solve it and sends it back as is. */
  challenge: string;
  difficulty: number;
  /** Seconds. */
  expiresIn: number;
}

/** A verified answer: the challenge's nonce (to mark it used) and how long it stays worth marking. */
export interface VerifiedChallenge {
  nonce: string;
  ttlMs: number;
}

/** ALTCHA's counter is a uint32; the activity's difficulty is capped far below that anyway. */
const MAX_COUNTER = 0xffffffff;
/** A challenge is a few hundred characters; anything much longer is not one of ours. */
const MAX_ENCODED_LENGTH = 4096;

/**
 * Proof-of-work on the token endpoint, with ALTCHA (altcha-lib): a bot that wants many tokens pays CPU for each.
 * Challenges are deterministic ALTCHA v2 ones: the server picks a secret counter in [difficulty/2, difficulty] and
 * signs the derived key's prefix; a client finds the counter by trying 0, 1, 2… (SHA-256 each), so the expected
 * work is about ¾ × difficulty hashes while the server's check is two HMACs. Each challenge names its activity and
 * user (signed with it), lives `ttlSeconds`, and is single-use: FrontDoorStore.gate marks its nonce used in Redis
 * until it expires.
 */
export class ProofOfWork {
  private readonly signatureSecret: string;
  private readonly keySignatureSecret: string;

  /** @param secret the deployment's JWT secret; distinct keys are derived from it. */
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.signatureSecret = createHmac('sha256', secret).update('seckill challenge v1').digest('hex');
    this.keySignatureSecret = createHmac('sha256', secret).update('seckill challenge key v1').digest('hex');
  }

  /** A new challenge for this user and activity, at the activity's difficulty (hash attempts at most). */
  async issue(activityId: number, userId: string, difficulty: number, nowMs: number): Promise<IssuedChallenge> {
    const max = Math.min(MAX_COUNTER, Math.max(1, Math.floor(difficulty)));
    const challenge = await createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(Math.ceil(max / 2), max + 1),
      deriveKey,
      data: { a: activityId, u: userId },
      expiresAt: Math.floor(nowMs / 1000) + this.ttlSeconds,
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
    return {
      challenge: Buffer.from(JSON.stringify(challenge)).toString('base64url'),
      difficulty: max,
      expiresIn: this.ttlSeconds,
    };
  }

  /**
   * Checks an answer: a challenge we issued to this user for this activity, not expired, and solved.
   * @throws DomainError CHALLENGE_FAILED otherwise (single use is checked by the caller, in Redis)
   */
  async verify(encoded: unknown, solution: unknown, activityId: number, userId: string): Promise<VerifiedChallenge> {
    if (typeof encoded !== 'string' || encoded.length === 0 || solution === undefined || solution === null) {
      throw failed('this activity requires a solved challenge: GET its challenge, solve it, send {challenge, solution}');
    }
    const challenge = decode(encoded);
    const data = challenge?.parameters?.data;
    if (!challenge || !data || data.a !== activityId || data.u !== userId) {
      throw failed('the challenge is not one issued to you for this activity');
    }
    let result;
    try {
      result = await verifySolution({
        challenge,
        solution: solution as Solution,
        deriveKey,
        hmacSignatureSecret: this.signatureSecret,
        hmacKeySignatureSecret: this.keySignatureSecret,
      });
    } catch (error) {
      throw failed('the challenge or its solution is malformed', error);
    }
    if (result.expired) throw failed('the challenge has expired; fetch a new one');
    if (result.invalidSignature) throw failed('the challenge was altered or not issued by this service');
    if (!result.verified) throw failed('the solution is wrong');
    const expiresAt = challenge.parameters.expiresAt ?? 0;
    return { nonce: challenge.parameters.nonce, ttlMs: Math.max(1000, expiresAt * 1000 - Date.now() + 1000) };
  }
}

function decode(encoded: string): Challenge | undefined {
  if (encoded.length > MAX_ENCODED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Challenge;
    return typeof value === 'object' && value !== null && typeof value.parameters?.nonce === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function failed(message: string, cause?: unknown): DomainError {
  return new DomainError('CHALLENGE_FAILED', message, { cause });
}
