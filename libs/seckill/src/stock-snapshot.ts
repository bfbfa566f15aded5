import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ActivityRecord } from '@seckill/activities';
import { StockService } from '@seckill/stock';

/** How often the remaining stock of recently read activities is refreshed from Redis. */
export const STOCK_SNAPSHOT_MS = 100;
/** An activity nobody read for this long is no longer refreshed (and forgotten). */
const IDLE_MS = 10_000;

interface Snapshot {
  /** Units left, or null while the activity is not loaded into Redis. */
  remaining: number | null;
  shards: number;
  readAt: number;
}

/**
 * What is left of each activity's stock, as catalog reads report it: kept in memory and refreshed from Redis about
 * every 100 ms for the activities read in the last ten seconds, so a read costs no Redis call however many shoppers
 * refresh the page (only an activity's first read waits for Redis). Purchases never read it: they decide in Lua.
 */
@Injectable()
export class StockSnapshot implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StockSnapshot.name);
  private readonly snapshots = new Map<number, Snapshot>();
  private readonly loading = new Map<number, Promise<Snapshot>>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(private readonly stock: StockService) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.refresh(), STOCK_SNAPSHOT_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Units a shopper can still buy, at most ~100 ms old: Redis's count, or the whole stock while not loaded; for an
   * activity whose hot state was retired from Redis, what Redis held then.
   */
  async available(record: Pick<ActivityRecord, 'id' | 'stock' | 'stockShards' | 'retired'>): Promise<number> {
    if (record.retired) return record.retired.remaining;
    let snapshot = this.snapshots.get(record.id);
    if (!snapshot || snapshot.shards !== record.stockShards) snapshot = await this.load(record.id, record.stockShards);
    snapshot.readAt = Date.now();
    return snapshot.remaining ?? record.stock;
  }

  private load(id: number, shards: number): Promise<Snapshot> {
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.stock
        .remaining(id, shards)
        .then((remaining) => {
          const snapshot = { remaining, shards, readAt: Date.now() };
          this.snapshots.set(id, snapshot);
          return snapshot;
        })
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || this.snapshots.size === 0) return;
    this.refreshing = true;
    const now = Date.now();
    try {
      // One MGET per activity, sent together (the connection auto-pipelines).
      await Promise.all(
        [...this.snapshots].map(async ([id, snapshot]) => {
          if (now - snapshot.readAt > IDLE_MS) {
            this.snapshots.delete(id);
            return;
          }
          snapshot.remaining = await this.stock.remaining(id, snapshot.shards);
        }),
      );
    } catch (error) {
      // Redis unreachable: keep serving the last numbers; the next refresh tries again.
      this.logger.debug(`stock snapshot: ${(error as Error).message}`);
    } finally {
      this.refreshing = false;
    }
  }
}
