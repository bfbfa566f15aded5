import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { clientAddressKey, IpMatcher } from '@seckill/flow-control';
import { AppConfig, DomainError, REDIS, RedisKeys } from '@seckill/platform';
import { throttleCommands } from './login-throttle';

const WINDOW_MS = 3600 * 1000;

/**
 * Registrations per client address (an IPv6 client per /64) per hour, counted in Redis in a fixed window shared by
 * every auth instance (the login throttle's script), so that one machine cannot mint accounts by the thousand
 * before a sale. Addresses in RATE_LIMIT_IP_ALLOWLIST are exempt. Every attempt that passes validation counts,
 * a taken username included: probing for free names is what a stable of accounts is built with.
 */
@Injectable()
export class RegistrationThrottle {
  private readonly allowlist: IpMatcher;
  private readonly limit: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    config: AppConfig,
  ) {
    this.allowlist = new IpMatcher(config.RATE_LIMIT_IP_ALLOWLIST);
    this.limit = config.RATE_LIMIT_REGISTER_PER_IP_PER_HOUR;
  }

  /**
   * Counts one registration from `ip`.
   * @throws DomainError RATE_LIMITED with Retry-After past the limit; BUSY when Redis cannot be reached
   */
  async admit(ip: string): Promise<void> {
    if (this.allowlist.matches(ip)) return;
    const key = this.keys.key('registrations', 'ip', clientAddressKey(ip));
    let count: number;
    try {
      count = await throttleCommands(this.redis).authLoginThrottleTake.call(this.redis, key, this.limit, WINDOW_MS);
    } catch (error) {
      throw new DomainError('BUSY', 'registration is unavailable for a moment', { cause: error, retryAfterSeconds: 1 });
    }
    if (count < 0) {
      throw new DomainError('RATE_LIMITED', 'too many registrations from your address; try again later', {
        retryAfterSeconds: Math.max(1, Math.ceil(-count / 1000)),
      });
    }
  }
}
