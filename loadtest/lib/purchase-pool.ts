import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AccessTokenService, AppConfig } from '@seckill/platform';
import { PurchaseTokens } from '@seckill/seckill';
import { mintToken } from '@seckill/testing';

/**
 * Pre-built purchase requests, one synthetic user each: the `Authorization` header (an access token for that
 * user) and the JSON body `{"token": <purchase token for that user and activity>}`. Built before a run so that
 * the load generator spends its CPU sending requests, not signing tokens.
 */
export interface PurchasePool {
  readonly activityId: number;
  /** User of entry i is firstUserId + i. */
  readonly firstUserId: number;
  readonly size: number;
  readonly authorization: string[];
  readonly bodies: string[];
  /** HTTP status answered to entry i; 0 while it has not been answered. */
  readonly statuses: Uint16Array;
  /** Entries handed to the load generator so far (each is sent once, right after it is handed out). */
  cursor: number;
  /** Set when a run wanted more entries than the pool holds (a run that must not reuse users then fails). */
  exhausted: boolean;
}

/**
 * Mints access and purchase tokens for synthetic users, as the auth and seckill services would.
 *
 * Access tokens are signed exactly as AccessTokenService.sign does (HS256, `{role}`, subject = user id, expiresIn =
 * JWT_EXPIRES_IN_SECONDS) but with the secret as a KeyObject: jsonwebtoken 9 handed a string secret first tries to
 * parse it as a PEM key, which under OpenSSL 3 costs about half a millisecond per call, too slow to mint a few
 * hundred thousand tokens. The constructor checks that a token minted here verifies like one from mintToken().
 */
export class UserMinter {
  private readonly key: KeyObject;
  private readonly purchaseTokens: PurchaseTokens;
  private nextUserId: number;

  constructor(
    private readonly config: AppConfig,
    firstUserId: number,
  ) {
    this.key = createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8'));
    this.purchaseTokens = new PurchaseTokens(config.JWT_SECRET, config.PURCHASE_TOKEN_TTL_SECONDS);
    this.nextUserId = firstUserId;
    this.selfCheck();
  }

  accessToken(userId: number): string {
    return jwt.sign({ role: 'user' }, this.key, {
      algorithm: 'HS256',
      subject: String(userId),
      expiresIn: this.config.JWT_EXPIRES_IN_SECONDS,
    });
  }

  /** A pool of `size` users never handed out before, each with a live purchase token for `activityId`. */
  pool(activityId: number, size: number): PurchasePool {
    const firstUserId = this.nextUserId;
    this.nextUserId += size;
    const authorization = new Array<string>(size);
    const bodies = new Array<string>(size);
    const now = Date.now();
    for (let i = 0; i < size; i++) {
      const userId = firstUserId + i;
      authorization[i] = `Bearer ${this.accessToken(userId)}`;
      bodies[i] = JSON.stringify({ token: this.purchaseTokens.issue(activityId, String(userId), now).token });
    }
    return { activityId, firstUserId, size, authorization, bodies, statuses: new Uint16Array(size), cursor: 0, exhausted: false };
  }

  private selfCheck(): void {
    const verifier = new AccessTokenService(this.config);
    const ours = verifier.verify(this.accessToken(42));
    const reference = verifier.verify(mintToken(this.config, 42));
    const claims = (token: string) => Object.keys(jwt.decode(token, { json: true }) ?? {}).sort().join(',');
    if (
      ours.userId !== reference.userId ||
      ours.role !== reference.role ||
      claims(this.accessToken(42)) !== claims(mintToken(this.config, 42))
    ) {
      throw new Error('UserMinter: access tokens differ from mintToken()');
    }
  }
}
