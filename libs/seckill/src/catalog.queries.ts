import { Injectable } from '@nestjs/common';
import { ActivityRecord, toActivityView } from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { CatalogService } from './catalog.service';
import { ReadDegradation } from './read-degradation';
import { SoldOutRegistry } from './sold-out.registry';
import { StockSnapshot } from './stock-snapshot';

/**
 * Read side of the catalog: activities with what is left of their stock. While Redis is unreachable, the stock
 * last read from it is shown (StockSnapshot keeps it; it changes only by purchases, which need Redis too); an
 * activity whose stock this instance never read is 503 BUSY then.
 */
@Injectable()
export class CatalogQueries {
  constructor(
    private readonly catalog: CatalogService,
    private readonly snapshot: StockSnapshot,
    private readonly soldOut: SoldOutRegistry,
    private readonly degradation: ReadDegradation,
  ) {}

  async list(): Promise<ActivityView[]> {
    const records = this.degradation.catalogCacheOnly ? this.catalog.cachedAll() : await this.catalog.all();
    const now = Date.now();
    return Promise.all(records.map(async (record) => toActivityView(record, await this.remaining(record), now)));
  }

  async view(id: number): Promise<ActivityView> {
    const record = await this.record(id);
    return toActivityView(record, await this.remaining(record), Date.now());
  }

  async stock(id: number): Promise<{ remaining: number }> {
    return { remaining: await this.remaining(await this.record(id)) };
  }

  /** From the caches alone while the catalogCacheOnly switch is on (plan level 1), else through every level. */
  private record(id: number): Promise<ActivityRecord> {
    return this.degradation.catalogCacheOnly ? this.catalog.cached(id) : this.catalog.get(id);
  }

  /** From memory: 0 once sold out, else the snapshot of Redis's count refreshed every 100 ms (StockSnapshot). */
  private async remaining(record: ActivityRecord): Promise<number> {
    if (this.soldOut.has(record.id)) return 0;
    return this.snapshot.available(record);
  }
}
