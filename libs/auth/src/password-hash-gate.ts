import { Injectable } from '@nestjs/common';
import { AppConfig, DomainError } from '@seckill/platform';

/** What a password hash is for: registrations may hold only part of the slots, logins all of them. */
export type HashPurpose = 'login' | 'register';

/**
 * Caps the password hashes (scrypt) one process runs at once. Each hash takes 16 MiB and tens of milliseconds of
 * one of libuv's four threads; past a few at once they only queue, so a burst would make every login wait behind
 * it. Over the cap the caller gets 503 BUSY with Retry-After at once, before any hashing. Registrations may hold
 * at most half of the slots, so a burst of sign-ups leaves the other half to logins.
 *
 * A plain counter rather than a semaphore library: nothing ever waits for a slot (that is the point), so there is
 * no queue to manage, and the purpose-dependent share is this product's rule.
 */
@Injectable()
export class PasswordHashGate {
  private readonly max: number;
  private readonly maxForRegister: number;
  private inFlight = 0;
  private inFlightForRegister = 0;

  constructor(config: AppConfig) {
    this.max = config.PASSWORD_HASH_MAX_CONCURRENT;
    this.maxForRegister = Math.max(1, Math.floor(this.max / 2));
  }

  /**
   * Runs `work` (which hashes) in a slot, or refuses at once when none is free for `purpose`.
   * @throws DomainError BUSY (retryable, Retry-After 1 s) when the process already hashes as much as it may
   */
  async run<T>(purpose: HashPurpose, work: () => Promise<T>): Promise<T> {
    const register = purpose === 'register';
    if (this.inFlight >= this.max || (register && this.inFlightForRegister >= this.maxForRegister)) {
      throw new DomainError('BUSY', 'too many passwords are being checked at once; try again in a moment', { retryAfterSeconds: 1 });
    }
    this.inFlight += 1;
    if (register) this.inFlightForRegister += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
      if (register) this.inFlightForRegister -= 1;
    }
  }
}
