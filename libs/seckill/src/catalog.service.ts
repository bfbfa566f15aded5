import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { BloomFilter } from 'bloom-filters';
import { ActivityCache, ActivityRecord, ActivityRepository, CachedActivity } from '@seckill/activities';
import { AppConfig, DomainError, isDependencyUnavailable } from '@seckill/platform';
import { ChannelSubscriber } from './channel-subscriber';
import { SeckillMetrics } from './seckill.metrics';

interface LocalEntry<T> {
  value: T;
  expiresAt: number;
}

/** Waits between looks at the shared cache while another instance rebuilds an entry. */
const LOCK_WAIT_MS = 25;
const LOCK_TTL_MS = 3000;
const BLOOM_REBUILD_MS = 30_000;
const BLOOM_ERROR_RATE = 0.001;

/** ±20% so that entries filled together do not all expire together. */
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The activity catalog: in-process entries in front of Redis in front of MySQL.
 * - A bloom filter of existing ids answers unknown ids with 404 before any cache or MySQL is asked.
 * - Entries live a jittered time at both levels, so a sale's entries do not expire in step.
 * - A miss is rebuilt once: concurrent readers in this instance share one promise, and across instances a Redis
 *   lock lets one rebuild while the others wait for its result, so an expiring hot key costs one MySQL query.
 * - Edits bump a version before dropping the shared entry and refills are conditional on it (ActivityCache.fill),
 *   so a rebuild that read the old row cannot write it back; the change channel drops local entries everywhere.
 * - An expired entry is served while it is refreshed (stale while revalidate): no request waits for a refresh, and
 *   an entry that cannot be refreshed goes on being served, in memory while Redis is unreachable, from Redis (which
 *   keeps entries a day past their freshness) while MySQL is. Only an id this instance has never seen waits; with
 *   Redis unreachable it is read from MySQL directly, one query per id at a time in this instance.
 */
@Injectable()
export class CatalogService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CatalogService.name);
  private readonly local = new Map<number, LocalEntry<ActivityRecord | null>>();
  private readonly inflight = new Map<number, Promise<ActivityRecord | null>>();
  private list: LocalEntry<ActivityRecord[]> | undefined;
  private listInflight: Promise<ActivityRecord[]> | undefined;
  private bloom = BloomFilter.create(1000, BLOOM_ERROR_RATE);
  private bloomTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ActivityRepository,
    private readonly cache: ActivityCache,
    private readonly subscriber: ChannelSubscriber,
    private readonly metrics: SeckillMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.subscriber.on(this.cache.changesChannel, (message) => this.onChanged(Number(message)));
    // The id set in Redis is the bloom filter's source; seed it from MySQL in case Redis lost it. Without MySQL
    // (an outage) the set in Redis is used as it is: the service sells without MySQL, and starts without it too.
    try {
      await this.cache.addIds(await this.repository.allIds());
    } catch (error) {
      this.logger.warn(`activity ids not read from MySQL, using those in Redis: ${(error as Error).message}`);
    }
    await this.rebuildBloom();
    this.bloomTimer = setInterval(() => void this.rebuildBloom().catch(() => undefined), BLOOM_REBUILD_MS);
    this.bloomTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.bloomTimer);
  }

  private async rebuildBloom(): Promise<void> {
    const ids = await this.cache.allIds();
    const bloom = BloomFilter.create(Math.max(1000, ids.length * 2), BLOOM_ERROR_RATE);
    for (const id of ids) bloom.add(String(id));
    // Ids announced while the set was being read are kept: they are in Redis too and will be in the next build.
    this.bloom = bloom;
  }

  private onChanged(id: number): void {
    if (!Number.isInteger(id)) return;
    this.bloom.add(String(id));
    this.local.delete(id);
    // Expired rather than dropped: while catalogCacheOnly is on, the last list is still served (see cachedAll).
    if (this.list) this.list.expiresAt = 0;
  }

  /** The activity, or 404 NOT_FOUND. Normally answered from memory. */
  async get(id: number): Promise<ActivityRecord> {
    const record = await this.find(id);
    if (!record) throw new DomainError('NOT_FOUND', `no activity ${id}`);
    return record;
  }

  /**
   * The activity when this instance holds a fresh in-memory entry of it, else undefined: what find() would answer
   * without waiting, read synchronously (counted as a memory read, as find() counts it, unless `counted` is false: a
   * caller that looks twice for one request counts one of the two). For callers that answer from memory alone when
   * they can and call find() otherwise.
   */
  fresh(id: number, counted = true): ActivityRecord | undefined {
    const entry = this.local.get(id);
    if (!entry || !entry.value || !(entry.expiresAt > Date.now())) return undefined;
    if (counted) this.metrics.catalogReads.inc('memory');
    return entry.value;
  }

  async find(id: number): Promise<ActivityRecord | null> {
    // The in-memory entry first: it only exists for ids that passed the bloom filter, and it is the hot path.
    const entry = this.local.get(id);
    if (entry && entry.expiresAt > Date.now()) {
      this.metrics.catalogReads.inc('memory');
      return entry.value;
    }
    if (!entry && !this.bloom.has(String(id))) {
      this.metrics.bloomRejections.inc();
      return null;
    }
    const refreshed = this.refresh(id);
    if (!entry) return refreshed;
    // Expired: served as it is while one refresh runs (its failure is the next reader's concern, not this one's).
    refreshed.catch(() => undefined);
    this.metrics.catalogReads.inc('stale');
    return entry.value;
  }

  /**
   * The activity from the caches alone, never from MySQL (the catalogCacheOnly switch): the in-process copy whatever
   * its age, else the shared Redis copy; 404 for an id the bloom filter or a cached miss rules out, 503 DEGRADED
   * when neither cache has it.
   */
  async cached(id: number): Promise<ActivityRecord> {
    const entry = this.local.get(id);
    if (entry) {
      this.metrics.catalogReads.inc('memory');
      if (entry.value) return entry.value;
    } else if (this.bloom.has(String(id))) {
      const shared = await this.cache.read(id);
      if (!shared) throw new DomainError('DEGRADED', 'the catalog is served from its caches only right now', { retryAfterSeconds: 5 });
      this.metrics.catalogReads.inc('redis');
      const record = this.remember(id, shared.found ? shared.record : null);
      if (record) return record;
    } else {
      this.metrics.bloomRejections.inc();
    }
    throw new DomainError('NOT_FOUND', `no activity ${id}`);
  }

  /** The last list this instance built, whatever its age (catalogCacheOnly); 503 DEGRADED when it has none. */
  cachedAll(): ActivityRecord[] {
    if (!this.list) throw new DomainError('DEGRADED', 'the catalog is served from its caches only right now', { retryAfterSeconds: 5 });
    return this.list.value;
  }

  /** The in-memory copy of an activity, whatever its age, without any I/O (null when there is none). */
  peek(id: number): ActivityRecord | null {
    return this.local.get(id)?.value ?? null;
  }

  /** Forgets the in-memory copy (e.g. when Redis disagrees with it). */
  forget(id: number): void {
    this.local.delete(id);
  }

  private remember(id: number, record: ActivityRecord | null): ActivityRecord | null {
    this.local.set(id, { value: record, expiresAt: Date.now() + jitter(this.config.CATALOG_LOCAL_TTL_MS) });
    return record;
  }

  /** One refresh per id at a time in this instance. */
  private refresh(id: number): Promise<ActivityRecord | null> {
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.loadShared(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  private async loadShared(id: number): Promise<ActivityRecord | null> {
    const deadline = Date.now() + LOCK_TTL_MS;
    for (;;) {
      let cached: CachedActivity;
      let lock: string | null;
      try {
        cached = await this.cache.read(id);
        if (cached?.fresh) {
          this.metrics.catalogReads.inc('redis');
          return this.remember(id, cached.found ? cached.record : null);
        }
        lock = await this.cache.tryLock(id, LOCK_TTL_MS);
      } catch (error) {
        if (!isDependencyUnavailable(error)) throw error;
        // Redis unreachable: no shared entry and no lock; MySQL directly.
        this.metrics.catalogReads.inc('mysql');
        return this.remember(id, await this.repository.findById(id));
      }
      const stale = cached === undefined ? undefined : cached.found ? cached.record : null;
      if (lock) {
        try {
          // The previous holder may have filled the entry between our read and our lock.
          const filled = await this.cache.read(id);
          if (filled?.fresh) {
            this.metrics.catalogReads.inc('redis');
            return this.remember(id, filled.found ? filled.record : null);
          }
          const version = await this.cache.version(id);
          let record: ActivityRecord | null;
          try {
            record = await this.repository.findById(id);
          } catch (error) {
            // MySQL unreachable: the shared entry, however old, is the best there is.
            if (stale === undefined || !isDependencyUnavailable(error)) throw error;
            this.metrics.catalogReads.inc('stale');
            return this.remember(id, stale);
          }
          this.metrics.catalogReads.inc('mysql');
          await this.cache.fill(id, record, version, jitter(this.config.CATALOG_SHARED_TTL_MS));
          return this.remember(id, record);
        } finally {
          await this.cache.unlock(id, lock).catch(() => undefined);
        }
      }
      if (stale !== undefined) {
        // Another instance is rebuilding it: its old value meanwhile, rather than a wait.
        this.metrics.catalogReads.inc('stale');
        return this.remember(id, stale);
      }
      if (Date.now() > deadline) {
        // The lock holder is stuck: read MySQL ourselves rather than fail the request.
        this.metrics.catalogReads.inc('mysql');
        return this.remember(id, await this.repository.findById(id));
      }
      await sleep(LOCK_WAIT_MS);
    }
  }

  /**
   * Every activity, newest start first; rebuilt from MySQL at most once per local TTL per instance. An expired list
   * is served while it is rebuilt, and for as long as MySQL cannot give a new one.
   */
  async all(): Promise<ActivityRecord[]> {
    const list = this.list;
    if (list && list.expiresAt > Date.now()) return list.value;
    if (!this.listInflight) {
      this.listInflight = this.repository
        .findAll()
        .then((records) => {
          this.list = { value: records, expiresAt: Date.now() + jitter(this.config.CATALOG_LOCAL_TTL_MS) };
          return records;
        })
        .finally(() => (this.listInflight = undefined));
    }
    if (!list) return this.listInflight;
    this.listInflight.catch(() => undefined);
    return list.value;
  }
}
