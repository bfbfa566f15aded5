import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { clientAddressKey, IpMatcher } from '@seckill/flow-control';
import { AppConfig, DomainError, REDIS, RedisKeys } from '@seckill/platform';

const TAKE = readFileSync(join(__dirname, 'login-throttle-take.lua'), 'utf8');
const REFUND = readFileSync(join(__dirname, 'login-throttle-refund.lua'), 'utf8');

/**
 * Limits on logins, each a fixed window counted in Redis (shared by every auth instance). "Address" is the client
 * address as clientAddressKey gives it: an IPv6 client counts per /64.
 */
export interface LoginThrottleLimits {
  /** Failed logins allowed per (username, address) pair per window: what one guesser gets at one account. */
  readonly failuresPerUsernameAndIp: number;
  /**
   * Failed logins allowed per username per window from all addresses together: the ceiling on a distributed guess
   * at one account. Not applied to an address the account logged in from before (see knownAddressSeconds), so
   * strangers reaching it cannot lock the account's owner out of their usual address.
   */
  readonly failuresPerUsername: number;
  /** Failed logins allowed per address per window across usernames (RATE_LIMIT_IP_ALLOWLIST exempt). */
  readonly failuresPerIp: number;
  /** Successful logins (and attempts still being checked) allowed per address per window (allowlist exempt). */
  readonly loginsPerIp: number;
  /** Length of a window, in seconds. */
  readonly windowSeconds: number;
  /** How long an address an account logged in from stays known to that account, in seconds. */
  readonly knownAddressSeconds: number;
}

/**
 * Five guesses per account and address per quarter hour let a person who mistypes a few times through. Twenty per
 * account from everywhere bound a guess spread over many addresses (under 2,000 a day, which keeps guessing a
 * reasonable password hopeless) and need four addresses (or /64s) to reach, and even then the owner's known
 * addresses still get in. Fifty failures per address let a household or an office behind one NAT get its typos
 * through while stopping one machine from spraying a common password over many usernames; sixty successes per
 * address stop one machine from signing in a stable of accounts before a sale faster than a person could.
 */
export const DEFAULT_LOGIN_THROTTLE_LIMITS: LoginThrottleLimits = Object.freeze({
  failuresPerUsernameAndIp: 5,
  failuresPerUsername: 20,
  failuresPerIp: 50,
  loginsPerIp: 60,
  windowSeconds: 15 * 60,
  knownAddressSeconds: 30 * 24 * 3600,
});

/** Injection token to override DEFAULT_LOGIN_THROTTLE_LIMITS; absent, the defaults apply. */
export const LOGIN_THROTTLE_LIMITS = Symbol('LOGIN_THROTTLE_LIMITS');

/** An admitted login attempt: it counts as a failure until it is reported as a success (or abandoned). */
export interface LoginAttempt {
  readonly pairKey: string;
  /** Absent when the per-username ceiling was not taken (a known address over the ceiling). */
  readonly usernameKey?: string;
  /** Absent for an allowlisted address. */
  readonly ipKey?: string;
  /** The address's count of logins; absent for an allowlisted address. */
  readonly loginsKey?: string;
  readonly knownKey: string;
}

/** The answer of LoginThrottle.admit. */
export type LoginAdmission =
  | { readonly admitted: true; readonly attempt: LoginAttempt }
  | { readonly admitted: false; readonly retryAfterSeconds: number; readonly reason: 'failures' | 'logins' };

type TakeCommand = (key: string, limit: number, windowMs: number) => Promise<number>;
type RefundCommand = (key: string) => Promise<number>;
export interface ThrottleCommands {
  authLoginThrottleTake: TakeCommand;
  authLoginThrottleRefund: RefundCommand;
}

/** Defines the two scripts on the connection once (ioredis runs them by EVALSHA) and returns it typed. */
export function throttleCommands(redis: Redis): ThrottleCommands {
  const commands = redis as unknown as Partial<ThrottleCommands>;
  if (!commands.authLoginThrottleTake) redis.defineCommand('authLoginThrottleTake', { numberOfKeys: 1, lua: TAKE });
  if (!commands.authLoginThrottleRefund) redis.defineCommand('authLoginThrottleRefund', { numberOfKeys: 1, lua: REFUND });
  return redis as unknown as ThrottleCommands;
}

/**
 * Rate limits logins with fixed windows in Redis: failures per (username, address) pair, per username (a looser
 * ceiling that an account's known addresses are exempt from), per address, and logins per address.
 *
 * An attempt is counted when it is admitted, before the password is checked, and given back when the password
 * turns out right: the observable rule is "failures only", but a burst of parallel guesses cannot slip past the
 * limit while the first of them are still being hashed. A success clears the pair's counter (the owner's own typos
 * are forgiven) but not the username's: another address's guesses stay counted. The count of logins per address
 * works the other way round: taken at admission, given back on a failure.
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
    this.commands = throttleCommands(redis);
  }

  /**
   * Admits one login attempt for `username` from `ip`, counting it against every limit, or says how long to wait.
   * @throws DomainError BUSY when Redis cannot be reached: without the counters, guessing would be unlimited
   */
  async admit(username: string, ip: string): Promise<LoginAdmission> {
    const { windowSeconds, failuresPerUsernameAndIp, failuresPerUsername, failuresPerIp, loginsPerIp } = this.limits;
    const windowMs = windowSeconds * 1000;
    // Usernames are unique regardless of case (the column's collation), so "Alice" and "alice" share a counter.
    const user = username.toLowerCase();
    const address = clientAddressKey(ip);
    const allowlisted = this.allowlist.matches(ip);
    const pairKey = this.keys.key('login-failures', 'pair', user, address);
    const usernameKey = this.keys.key('login-failures', 'user', user);
    const ipKey = allowlisted ? undefined : this.keys.key('login-failures', 'ip', address);
    const loginsKey = allowlisted ? undefined : this.keys.key('logins', 'ip', address);
    const knownKey = this.keys.key('login-known', user, address);
    try {
      // Independent keys, one script each: they may sit in different slots of a Redis Cluster.
      const [byPair, byUsername, byIp, byLogins, known] = await Promise.all([
        this.take(pairKey, failuresPerUsernameAndIp, windowMs),
        this.take(usernameKey, failuresPerUsername, windowMs),
        ipKey === undefined ? 1 : this.take(ipKey, failuresPerIp, windowMs),
        loginsKey === undefined ? 1 : this.take(loginsKey, loginsPerIp, windowMs),
        this.redis.exists(knownKey),
      ]);
      const usernameOk = byUsername > 0 || known === 1;
      if (byPair > 0 && usernameOk && byIp > 0 && byLogins > 0) {
        return {
          admitted: true,
          attempt: { pairKey, usernameKey: byUsername > 0 ? usernameKey : undefined, ipKey, loginsKey, knownKey },
        };
      }
      // Refused by one counter: give the others back their slots, this attempt never reaches the password check.
      const taken: Array<[string | undefined, number]> = [[pairKey, byPair], [usernameKey, byUsername], [ipKey, byIp], [loginsKey, byLogins]];
      await Promise.all(taken.filter(([key, count]) => key !== undefined && count > 0).map(([key]) => this.refund(key!)));
      const refusing = [byPair, usernameOk ? 1 : byUsername, byIp, byLogins];
      const waitMs = Math.max(...refusing.map((count) => (count < 0 ? -count : 0)));
      return {
        admitted: false,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        reason: byLogins < 0 && byPair > 0 && usernameOk && byIp > 0 ? 'logins' : 'failures',
      };
    } catch (error) {
      throw new DomainError('BUSY', 'login is unavailable for a moment', { cause: error, retryAfterSeconds: 1 });
    }
  }

  /**
   * The password was right: the attempt was no failure, the pair's earlier failures are forgiven, and the address
   * becomes known to the account. The username's count keeps other addresses' failures.
   */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.bestEffort(async () => {
      await Promise.all([
        this.redis.del(attempt.pairKey),
        attempt.usernameKey === undefined ? 0 : this.refund(attempt.usernameKey),
        attempt.ipKey === undefined ? 0 : this.refund(attempt.ipKey),
        this.redis.set(attempt.knownKey, '1', 'EX', this.limits.knownAddressSeconds),
      ]);
    });
  }

  /** The password was wrong: the failure stays counted, and the address's count of logins gets its slot back. */
  async failed(attempt: LoginAttempt): Promise<void> {
    await this.bestEffort(async () => {
      if (attempt.loginsKey !== undefined) await this.refund(attempt.loginsKey);
    });
  }

  /** The attempt ended without an answer on the password (an unexpected error, no capacity): it counts as nothing. */
  async abandoned(attempt: LoginAttempt): Promise<void> {
    await this.bestEffort(async () => {
      const keys = [attempt.pairKey, attempt.usernameKey, attempt.ipKey, attempt.loginsKey];
      await Promise.all(keys.filter((key): key is string => key !== undefined).map((key) => this.refund(key)));
    });
  }

  private take(key: string, limit: number, windowMs: number): Promise<number> {
    return this.commands.authLoginThrottleTake.call(this.redis, key, limit, windowMs);
  }

  private refund(key: string): Promise<number> {
    return this.commands.authLoginThrottleRefund.call(this.redis, key);
  }

  /** Giving a slot back is a courtesy: failing to leaves one extra attempt counted, which the window will expire. */
  private async bestEffort(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn(`could not update the login counters: ${(error as Error).message}`);
    }
  }
}
