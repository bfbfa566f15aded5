import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { clientAddressKey, IpMatcher, KeyedRateLimiter } from '@seckill/flow-control';
import { AppConfig, DomainError, Principal } from '@seckill/platform';

/** Which per-user limit an endpoint counts against, besides the per-address one every endpoint here shares. */
export type RequestLimitKind = 'read' | 'token' | 'poll';

const LIMIT_KIND = 'seckill:limit-kind';
/** Keys of in-process limiters; more distinct clients than this within a few seconds are rare even at the peak. */
const LIMITER_KEYS = 200_000;

/**
 * The limit of an endpoint that can be hammered: `read` (catalog, client config: per address only), `token`
 * (token and challenge: per user too) or `poll` (result and waiting room: per user too). Use with RequestLimitGuard,
 * after JwtAuthGuard on authenticated routes.
 */
export const RequestLimit = (kind: RequestLimitKind) => SetMetadata(LIMIT_KIND, kind);

type Request = FastifyRequest & { principal?: Principal };

/**
 * Limits on seckill's endpoints other than the purchase (which has its own, in PurchaseService): one token bucket
 * per client address (an IPv6 client per /64: clientAddressKey) shared by all of them (addresses in RATE_LIMIT_IP_ALLOWLIST are exempt), and per-user buckets
 * for token requests and for polls. In process memory, per instance, like the purchase limits: 429 RATE_LIMITED with
 * Retry-After, before any other work.
 */
@Injectable()
export class RequestLimitGuard implements CanActivate {
  private readonly perIp: KeyedRateLimiter;
  private readonly perUser: Record<Exclude<RequestLimitKind, 'read'>, KeyedRateLimiter>;
  private readonly allowlist: IpMatcher;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    const limiter = (rate: number) => new KeyedRateLimiter({ ratePerSecond: rate, burst: rate * 2, maxKeys: LIMITER_KEYS });
    this.perIp = limiter(config.RATE_LIMIT_READS_PER_IP_PER_SECOND);
    this.perUser = {
      token: limiter(config.RATE_LIMIT_TOKEN_PER_USER_PER_SECOND),
      poll: limiter(config.RATE_LIMIT_POLL_PER_USER_PER_SECOND),
    };
    this.allowlist = new IpMatcher(config.RATE_LIMIT_IP_ALLOWLIST);
  }

  canActivate(context: ExecutionContext): boolean {
    const kind = this.reflector.get<RequestLimitKind | undefined>(LIMIT_KIND, context.getHandler()) ?? 'read';
    const request = context.switchToHttp().getRequest<Request>();
    if (!this.allowlist.matches(request.ip)) {
      const byIp = this.perIp.take(clientAddressKey(request.ip));
      if (!byIp.ok) throw new DomainError('RATE_LIMITED', 'too many requests from your address', { retryAfterSeconds: byIp.retryAfterSeconds });
    }
    if (kind !== 'read' && request.principal) {
      const byUser = this.perUser[kind].take(request.principal.userId);
      if (!byUser.ok) throw new DomainError('RATE_LIMITED', `too many ${kind} requests`, { retryAfterSeconds: byUser.retryAfterSeconds });
    }
    return true;
  }
}
