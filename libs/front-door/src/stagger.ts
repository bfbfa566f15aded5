import { createHmac } from 'node:crypto';

/** 2^48: the offset is drawn from the first six bytes of an HMAC, which are uniform. */
const SPAN = 2 ** 48;

/**
 * Staggered entry: each shopper's purchase token opens at the start plus an offset in [0, staggerSeconds) that is
 * derived from the user id (an HMAC under a deployment secret), never stored. The same shopper always gets the same
 * offset, shoppers spread evenly over the window, and nobody can compute offsets offline to pick early accounts.
 */
export class StaggerSchedule {
  private readonly key: Buffer;

  /** @param secret the deployment's JWT secret; a distinct key is derived from it. */
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('seckill stagger v1').digest();
  }

  /** The shopper's offset in ms, in [0, staggerSeconds × 1000); 0 when staggering is off. */
  offsetMs(activityId: number, userId: string, staggerSeconds: number): number {
    if (!(staggerSeconds > 0)) return 0;
    const digest = createHmac('sha256', this.key).update(`${activityId}:${userId}`).digest();
    return Math.floor((digest.readUIntBE(0, 6) / SPAN) * staggerSeconds * 1000);
  }
}
