import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { IpMatcher } from '@seckill/flow-control';
import { AppConfig, DomainError, REDIS, RedisKeys } from '@seckill/platform';

const TAKE = readFileSync(join(__dirname, 'login-throttle-take.lua'), 'utf8');
const REFUND = readFileSync(join(__dirname, 'login-throttle-refund.lua'), 'utf8');

/** Limits on failed logins, each a fixed window counted in Redis (shared by every auth instance). */
export interface LoginThrottleLimits {
  /** Failed logins allowed per username per window. */
  readonly failuresPerUsername: number;
  /** Failed logins allowed per client address per window (addresses in RATE_LIMIT_IP_ALLOWLIST are exempt). */
  readonly failuresPerIp: number;
  /** Length of a window, in seconds. */
  readonly windowSeconds: number;
}

/**
 * Five guesses per account per quarter hour keep online guessing of one password hopeless (about 500 a day) while
 * a person who mistypes a few times is not locked out. Fifty per address lets a household or an office behind one
 * NAT get its typos through while stopping one machine from spraying a common password over many usernames.
 */
export const DEFAULT_LOGIN_THROTTLE_LIMITS: LoginThrottleLimits = Object.freeze({
  failuresPerUsername: 5,
  failuresPerIp: 50,
  windowSeconds: 15 * 60,
});

/** Injection token to override DEFAULT_LOGIN_THROTTLE_LIMITS; absent, the defaults apply. */
export const LOGIN_THROTTLE_LIMITS = Symbol('LOGIN_THROTTLE_LIMITS');

/** An admitted login attempt: it counts as a failure until it is reported as a success (or abandoned). */
export interface LoginAttempt {
  readonly usernameKey: string;
  /** Absent for an allowlisted address. */
  readonly ipKey?: string;
}

/** The answer of LoginThrottle.admit. */
export type LoginAdmission =
  | { readonly admitted: true; readonly attempt: LoginAttempt }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

type TakeCommand = (key: string, limit: number, windowMs: number) => Promise<number>;
type RefundCommand = (key: string) => Promise<number>;
interface ThrottleCommands {
  authLoginThrottleTake: TakeCommand;
  authLoginThrottleRefund: RefundCommand;
}

/**
 * Rate limits failed logins per username and per client address, with fixed windows in Redis.
 *
 * An attempt is counted when it is admitted, before the password is checked, and given back when the password
 * turns out right: the observable rule is "failures only", but a burst of parallel guesses cannot slip past the
 * limit while the first of them are still being hashed. A success also clears the username's counter.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger('login-throttle');
  private readonly limits: LoginThrottleLimits;
  private readonly allowlist: IpMatcher;
  private readonly commands: ThrottleCommands;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    config: AppConfig,
    @Optional() @Inject(LOGIN_THROTTLE_LIMITS) limits?: LoginThrottleLimits,
  ) {
    this.limits = limits ?? DEFAULT_LOGIN_THROTTLE_LIMITS;
    this.allowlist = new IpMatcher(config.RATE_LIMIT_IP_ALLOWLIST);
    // The connection is shared by the whole process: define the scripts once (ioredis runs them by EVALSHA).
    const commands = redis as unknown as Partial<ThrottleCommands>;
    if (!commands.authLoginThrottleTake) redis.defineCommand('authLoginThrottleTake', { numberOfKeys: 1, lua: TAKE });
    if (!commands.authLoginThrottleRefund) redis.defineCommand('authLoginThrottleRefund', { numberOfKeys: 1, lua: REFUND });
    this.commands = redis as unknown as ThrottleCommands;
  }

  /**
   * Admits one login attempt for `username` from `ip`, counting it against both limits, or says how long to wait.
   * @throws DomainError BUSY when Redis cannot be reached: without the counters, guessing would be unlimited
   */
  async admit(username: string, ip: string): Promise<LoginAdmission> {
    const windowMs = this.limits.windowSeconds * 1000;
    // Usernames are unique regardless of case (the column's collation), so "Alice" and "alice" share a counter.
    const usernameKey = this.keys.key('login-failures', 'user', username.toLowerCase());
    const ipKey = this.allowlist.matches(ip) ? undefined : this.keys.key('login-failures', 'ip', ip);
    try {
      // Two independent keys, two scripts: they may sit in different slots of a Redis Cluster.
      const [byUsername, byIp] = await Promise.all([
        this.take(usernameKey, this.limits.failuresPerUsername, windowMs),
        ipKey === undefined ? Promise.resolve(1) : this.take(ipKey, this.limits.failuresPerIp, windowMs),
      ]);
      if (byUsername > 0 && byIp > 0) return { admitted: true, attempt: { usernameKey, ipKey } };
      // Refused by one counter: give the other back its slot, this attempt never reaches the password check.
      if (byUsername > 0) await this.refund(usernameKey);
      if (byIp > 0 && ipKey !== undefined) await this.refund(ipKey);
      const waitMs = Math.max(byUsername < 0 ? -byUsername : 0, byIp < 0 ? -byIp : 0);
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    } catch (error) {
      throw new DomainError('BUSY', 'login is unavailable for a moment', { cause: error, retryAfterSeconds: 1 });
    }
  }

  /** The password was right: the attempt was no failure, and the username's earlier failures are forgiven. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.bestEffort(async () => {
      await Promise.all([this.redis.del(attempt.usernameKey), attempt.ipKey === undefined ? 0 : this.refund(attempt.ipKey)]);
    });
  }

  /** The attempt ended without an answer on the password (an unexpected error): it counts as no failure. */
  async abandoned(attempt: LoginAttempt): Promise<void> {
    await this.bestEffort(async () => {
      await Promise.all([this.refund(attempt.usernameKey), attempt.ipKey === undefined ? 0 : this.refund(attempt.ipKey)]);
    });
  }

  private take(key: string, limit: number, windowMs: number): Promise<number> {
    return this.commands.authLoginThrottleTake.call(this.redis, key, limit, windowMs);
  }

  private refund(key: string): Promise<number> {
    return this.commands.authLoginThrottleRefund.call(this.redis, key);
  }

  /** Giving a slot back is a courtesy: failing to leaves one extra failure counted, which the window will expire. */
  private async bestEffort(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn(`could not update the login failure counters: ${(error as Error).message}`);
    }
  }
}
