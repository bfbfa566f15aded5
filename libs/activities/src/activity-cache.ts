import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { OwnedKeys, ownerToken, REDIS, RedisKeys } from '@seckill/platform';
import { ActivityRecord } from './activity-record';

const FILL = readFileSync(join(__dirname, 'cache-fill.lua'), 'utf8');

/**
 * What the shared (Redis) level of the catalog holds for an id: the record or a known absence, and whether it is
 * still fresh; undefined when it holds nothing. An entry outlives its freshness (STALE_KEEP_MS) so that it can be
 * served while it cannot be rebuilt (MySQL unreachable) or while another instance rebuilds it.
 */
export type CachedActivity = ({ found: true; record: ActivityRecord } | { found: false }) & { fresh: boolean } | undefined;

/** How long an entry is kept past its freshness, for an outage of MySQL: a day of sales without it. */
export const STALE_KEEP_MS = 24 * 3600_000;

/** The stored form: when the entry stops being fresh (ms since epoch), and the record (null: no such activity). */
interface StoredEntry {
  freshUntil: number;
  record: ActivityRecord | null;
}

type FillCommand = (entry: string, version: string, expected: string, value: string, ttlMs: number) => Promise<number>;

/**
 * The shared level of the activity catalog in Redis, and the signals every instance listens to:
 * entries with a version that makes refills safe against concurrent edits, a per-entry rebuild lock
 * (single flight across instances), the set of existing ids (the bloom filter's source) and the change channel.
 */
@Injectable()
export class ActivityCache {
  private readonly locks: OwnedKeys;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.locks = new OwnedKeys(redis);
    if (!(redis as unknown as Record<string, unknown>).activityCacheFill) {
      redis.defineCommand('activityCacheFill', { numberOfKeys: 2, lua: FILL });
    }
  }

  private entryKey(id: number): string {
    return this.keys.key(this.keys.activityTag(id), 'catalog');
  }
  private versionKey(id: number): string {
    return this.keys.key(this.keys.activityTag(id), 'catalog-version');
  }
  private lockKey(id: number): string {
    return this.keys.key(this.keys.activityTag(id), 'catalog-lock');
  }
  get idsKey(): string {
    return this.keys.key('activities', 'ids');
  }
  /** Channel carrying the id of every created or edited activity. */
  get changesChannel(): string {
    return this.keys.key('activities', 'changed');
  }

  async read(id: number, now = Date.now()): Promise<CachedActivity> {
    const raw = await this.redis.get(this.entryKey(id));
    if (raw === null) return undefined;
    const entry = JSON.parse(raw) as Partial<StoredEntry>;
    // Anything else was written by an older version of this code: a miss, rebuilt in the current form.
    if (typeof entry.freshUntil !== 'number' || entry.record === undefined) return undefined;
    const fresh = now < entry.freshUntil;
    return entry.record === null ? { found: false, fresh } : { found: true, record: entry.record, fresh };
  }

  async version(id: number): Promise<string> {
    return (await this.redis.get(this.versionKey(id))) ?? '0';
  }

  /**
   * Stores a rebuilt entry (null = no such activity), fresh for `freshMs` and kept STALE_KEEP_MS longer, unless it was
   * edited since `version`.
   */
  async fill(id: number, record: ActivityRecord | null, version: string, freshMs: number, now = Date.now()): Promise<boolean> {
    const fill = (this.redis as unknown as { activityCacheFill: FillCommand }).activityCacheFill;
    const entry: StoredEntry = { freshUntil: now + freshMs, record };
    const stored = await fill.call(this.redis, this.entryKey(id), this.versionKey(id), version, JSON.stringify(entry), freshMs + STALE_KEEP_MS);
    return stored === 1;
  }

  /**
   * Only one instance rebuilds an entry at a time; the others wait for its result.
   * @returns the holder's token (for unlock), or null when another holds the lock
   */
  async tryLock(id: number, ttlMs: number): Promise<string | null> {
    const token = ownerToken();
    return (await this.locks.acquire(this.lockKey(id), token, ttlMs)) ? token : null;
  }

  /** Releases the lock if `token` still holds it (a rebuild slower than the lock's lifetime must not free another's). */
  async unlock(id: number, token: string): Promise<boolean> {
    return this.locks.release(this.lockKey(id), token);
  }

  /** After a create or an edit in MySQL: bump the version, drop the entry, record the id, tell every instance. */
  async changed(id: number): Promise<void> {
    await this.redis
      .multi()
      .incr(this.versionKey(id))
      .del(this.entryKey(id))
      .sadd(this.idsKey, String(id))
      .publish(this.changesChannel, String(id))
      .exec();
  }

  async addIds(ids: number[]): Promise<void> {
    if (ids.length > 0) await this.redis.sadd(this.idsKey, ...ids.map(String));
  }

  async allIds(): Promise<number[]> {
    return (await this.redis.smembers(this.idsKey)).map(Number);
  }
}
