import { Injectable } from '@nestjs/common';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';

export type Role = 'user' | 'admin';

/** Who is calling, from a verified access token. */
export interface Principal {
  /** Decimal string: user ids may exceed 2^53. */
  userId: string;
  role: Role;
}

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const USER_ID = /^[1-9][0-9]{0,19}$/;
const BEARER = 'Bearer ';

/**
 * Signs and verifies access tokens (JWT, HS256, claims sub/role/exp). Every service verifies locally with the
 * shared JWT_SECRET; nothing calls the auth service on the hot path.
 */
@Injectable()
export class AccessTokenService {
  // fast-jwt rather than jsonwebtoken: every request of the hot path verifies a token, and it does so in about
  // half the time. Its cache stays off: it hashes every token to look it up, which costs more than it saves when
  // most tokens are seen once or twice, as in a sale.
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => Record<string, unknown>;

  constructor(private readonly config: AppConfig) {
    this.signer = createSigner({ key: config.JWT_SECRET, algorithm: 'HS256', expiresIn: config.JWT_EXPIRES_IN_SECONDS * 1000 });
    this.verifier = createVerifier({ key: config.JWT_SECRET, algorithms: ['HS256'] });
  }

  sign(principal: Principal): IssuedToken {
    const accessToken = this.signer({ sub: principal.userId, role: principal.role });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.JWT_EXPIRES_IN_SECONDS };
  }

  /**
   * The caller named by an Authorization header: `Bearer <token>` (the scheme as RFC 6750 writes it), verified.
   * The one place that reads the header, for the guard and for every hook that authenticates ahead of it.
   * @throws DomainError UNAUTHENTICATED for a missing header, another scheme or a token verify() refuses
   */
  authenticate(authorization: string | string[] | undefined): Principal {
    if (typeof authorization !== 'string' || !authorization.startsWith(BEARER)) {
      throw new DomainError('UNAUTHENTICATED', 'a Bearer access token is required');
    }
    return this.verify(authorization.slice(BEARER.length).trim());
  }

  /** Verifies a token; any fault (missing, malformed, forged, expired) is 401 UNAUTHENTICATED. */
  verify(token: string): Principal {
    let claims: Record<string, unknown>;
    try {
      claims = this.verifier(token);
    } catch (error) {
      const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
      throw new DomainError('UNAUTHENTICATED', expired ? 'the access token has expired' : 'the access token is invalid', {
        cause: error,
      });
    }
    if (typeof claims.sub !== 'string' || !USER_ID.test(claims.sub)) {
      throw new DomainError('UNAUTHENTICATED', 'the access token has no valid subject');
    }
    if (claims.role !== 'user' && claims.role !== 'admin') {
      throw new DomainError('UNAUTHENTICATED', 'the access token has no valid role');
    }
    if (typeof claims.exp !== 'number') {
      throw new DomainError('UNAUTHENTICATED', 'the access token does not expire');
    }
    return { userId: claims.sub, role: claims.role };
  }
}
