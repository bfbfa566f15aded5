import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';

const HOLD = readFileSync(join(__dirname, 'lease-hold.lua'), 'utf8');
const RELEASE = readFileSync(join(__dirname, 'lease-release.lua'), 'utf8');

type LeaseCall = (key: string, ...args: Array<string | number>) => Promise<number>;

/**
 * A lease in Redis that makes one instance among many the leader of some periodic work. Taking, renewing and
 * releasing are each one compare-and-set script, so an instance never renews or deletes a lease another has taken.
 * A leader that stops renewing (crashed, paused) loses the lease after `ttlMs`, and the next caller takes it.
 */
export class LeaderLease {
  /** This holder's id: unique per instance and lease object. */
  readonly holder = randomBytes(8).toString('hex');

  /**
   * @param redis the connection (its scripts are defined on it once)
   * @param key the lease's key
   * @param ttlMs how long a taken or renewed lease lasts without renewal
   */
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {
    const commands = redis as unknown as Record<string, unknown>;
    if (!commands.leaseHold) redis.defineCommand('leaseHold', { numberOfKeys: 1, lua: HOLD });
    if (!commands.leaseRelease) redis.defineCommand('leaseRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  /** Takes the lease if it is free or renews it if this holder has it; true while this holder leads. */
  async hold(): Promise<boolean> {
    const hold = (this.redis as unknown as { leaseHold: LeaseCall }).leaseHold;
    return (await hold.call(this.redis, this.key, this.holder, this.ttlMs)) === 1;
  }

  /** Gives the lease up if this holder has it (so a successor need not wait for it to lapse). */
  async release(): Promise<boolean> {
    const release = (this.redis as unknown as { leaseRelease: LeaseCall }).leaseRelease;
    return (await release.call(this.redis, this.key, this.holder)) === 1;
  }
}
