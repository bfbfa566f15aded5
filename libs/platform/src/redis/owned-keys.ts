import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';

const RELEASE = readFileSync(join(__dirname, 'release-if-owner.lua'), 'utf8');
const RENEW = readFileSync(join(__dirname, 'renew-if-owner.lua'), 'utf8');

interface OwnedKeyCommands {
  ownedKeyRelease(key: string, token: string): Promise<number>;
  ownedKeyRenew(key: string, token: string, ttlMs: number): Promise<number>;
}

/** A random token naming one holder of a lock or lease (never a constant: see release-if-owner.lua). */
export function ownerToken(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Locks and leases in Redis, each a key holding its holder's random token with a lifetime: taken with SET NX PX,
 * renewed and released by compare-and-set scripts (renew-if-owner.lua, release-if-owner.lua), so a holder whose key
 * lapsed can neither extend nor delete the key of whoever took it next.
 */
export class OwnedKeys {
  private readonly commands: OwnedKeyCommands;

  constructor(private readonly redis: Redis) {
    const defined = redis as unknown as Partial<OwnedKeyCommands>;
    // The connection is shared by the process: define the scripts once (ioredis runs them by EVALSHA).
    if (!defined.ownedKeyRelease) redis.defineCommand('ownedKeyRelease', { numberOfKeys: 1, lua: RELEASE });
    if (!defined.ownedKeyRenew) redis.defineCommand('ownedKeyRenew', { numberOfKeys: 1, lua: RENEW });
    this.commands = redis as unknown as OwnedKeyCommands;
  }

  /** Takes the key for `token` if nobody holds it; true when taken. */
  async acquire(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Extends the key's lifetime if `token` still holds it; false when it does not (any more). */
  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.commands.ownedKeyRenew.call(this.redis, key, token, ttlMs)) === 1;
  }

  /** Deletes the key if `token` still holds it; false when it does not (it lapsed, and may be another's now). */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.commands.ownedKeyRelease.call(this.redis, key, token)) === 1;
  }
}
