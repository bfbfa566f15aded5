import { Injectable } from '@nestjs/common';
import { ActivityRecord, toActivityView } from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { isDependencyUnavailable } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { CatalogService } from './catalog.service';
import { SoldOutRegistry } from './sold-out.registry';

/**
 * Read side of the catalog: activities with what is left of their stock. While Redis is unreachable, the stock
 * last read from it is shown (it changes only by purchases, which need Redis too); an activity whose stock this
 * instance never read is 503 BUSY then.
 */
@Injectable()
export class CatalogQueries {
  private readonly lastRemaining = new Map<number, number>();

  constructor(
    private readonly catalog: CatalogService,
    private readonly stockService: StockService,
    private readonly soldOut: SoldOutRegistry,
  ) {}

  async list(): Promise<ActivityView[]> {
    const records = await this.catalog.all();
    const now = Date.now();
    return Promise.all(records.map(async (record) => toActivityView(record, await this.remaining(record), now)));
  }

  async view(id: number): Promise<ActivityView> {
    const record = await this.catalog.get(id);
    return toActivityView(record, await this.remaining(record), Date.now());
  }

  async stock(id: number): Promise<{ remaining: number }> {
    return { remaining: await this.remaining(await this.catalog.get(id)) };
  }

  /** From memory once sold out; else from Redis; the full stock while the activity is not loaded yet. */
  private async remaining(record: ActivityRecord): Promise<number> {
    if (this.soldOut.has(record.id)) return 0;
    try {
      const remaining = await this.stockService.available(record);
      this.lastRemaining.set(record.id, remaining);
      return remaining;
    } catch (error) {
      const last = this.lastRemaining.get(record.id);
      if (last === undefined || !isDependencyUnavailable(error)) throw error;
      return last;
    }
  }
}
