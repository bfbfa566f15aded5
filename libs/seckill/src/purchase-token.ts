import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@seckill/platform';

/**
 * The per-user purchase token: `activityId.userId.expiresAt.signature`, an HMAC-SHA256 over the first three
 * fields. Stateless to verify (no Redis call on the hot path) and bound to one user and one activity, so a bot
 * can neither buy before the start (no token is issued then) nor use a token obtained for someone else.
 */
export class PurchaseTokens {
  private readonly key: Buffer;

  /** @param secret the deployment's JWT secret; a distinct key is derived from it for purchase tokens. */
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = createHmac('sha256', secret).update('seckill purchase token v1').digest();
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  issue(activityId: number, userId: string, nowMs: number): { token: string; expiresIn: number } {
    const expiresAt = Math.floor(nowMs / 1000) + this.ttlSeconds;
    const payload = `${activityId}.${userId}.${expiresAt}`;
    return { token: `${payload}.${this.sign(payload)}`, expiresIn: this.ttlSeconds };
  }

  /** Throws INVALID_SECKILL_TOKEN unless the token was issued by us, to this user, for this activity, and is live. */
  verify(token: string, activityId: number, userId: string, nowMs: number): void {
    const parts = token.split('.');
    if (parts.length !== 4) throw invalid('the purchase token is malformed');
    const [activity, user, expires, signature] = parts;
    const expected = Buffer.from(this.sign(`${activity}.${user}.${expires}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid('the purchase token is forged');
    }
    if (activity !== String(activityId)) throw invalid('the purchase token is for another activity');
    if (user !== userId) throw invalid('the purchase token is for another user');
    if (Number(expires) * 1000 <= nowMs) throw invalid('the purchase token has expired');
  }
}

function invalid(message: string): DomainError {
  return new DomainError('INVALID_SECKILL_TOKEN', message);
}
