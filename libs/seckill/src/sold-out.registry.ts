import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { StockService } from '@seckill/stock';
import { CatalogService } from './catalog.service';
import { ChannelSubscriber } from './channel-subscriber';

const RECHECK_MS = 1000;

/**
 * Which activities are sold out, known in memory by every instance so that after a sale the hot path answers
 * 410 without Redis. An instance that sees a sell-out tells the others on a channel; units coming back (a
 * cancelled order) are announced on the same channel, and every second the flagged activities are checked
 * against Redis too, so a missed message costs at most a second of wrong SOLD_OUT answers.
 */
@Injectable()
export class SoldOutRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SoldOutRegistry.name);
  private readonly soldOut = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stock: StockService,
    private readonly catalog: CatalogService,
    private readonly subscriber: ChannelSubscriber,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.subscriber.on(this.stock.soldOutChannel, (message) => {
      const [id, flag] = message.split(':').map(Number);
      if (!Number.isInteger(id)) return;
      if (flag === 1) {
        this.soldOut.add(id);
      } else {
        this.soldOut.delete(id);
      }
    });
    this.timer = setInterval(() => void this.recheck(), RECHECK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  has(activityId: number): boolean {
    return this.soldOut.has(activityId);
  }

  /** Records a sell-out seen by this instance and tells the others. */
  mark(activityId: number): void {
    if (this.soldOut.has(activityId)) return;
    this.soldOut.add(activityId);
    this.stock.announceSoldOut(activityId, true).catch((error: Error) => this.logger.warn(`announce: ${error.message}`));
  }

  private async recheck(): Promise<void> {
    for (const id of this.soldOut) {
      try {
        // Any local copy will do (only its number of stock keys is needed), so this check adds no catalog reads.
        const record = this.catalog.peek(id) ?? (await this.catalog.find(id));
        if (!record) {
          this.soldOut.delete(id);
          continue;
        }
        const remaining = await this.stock.remaining(id, record.stockShards);
        if (remaining !== null && remaining > 0) this.soldOut.delete(id);
      } catch {
        // Redis unreachable: keep answering SOLD_OUT, which is what Redis said last.
      }
    }
  }
}
