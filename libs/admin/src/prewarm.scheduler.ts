import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ActivityRepository } from '@seckill/activities';
import { AppConfig } from '@seckill/platform';
import { HotStateService } from '@seckill/stock';

const EVERY_MS = 5000;

/**
 * Loads every activity that starts within PREWARM_AHEAD_SECONDS into Redis, every few seconds, so the stock is in
 * place before the first purchase. Loading is idempotent, so every admin instance may run this; should none run,
 * the seckill service loads an activity on its first purchase.
 */
@Injectable()
export class PrewarmScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PrewarmScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private readonly warmed = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ActivityRepository,
    private readonly hotState: HotStateService,
  ) {}

  onApplicationBootstrap(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    try {
      const now = new Date();
      const until = new Date(now.getTime() + this.config.PREWARM_AHEAD_SECONDS * 1000);
      for (const activity of await this.repository.findStartingBefore(until, now)) {
        // Once per activity version per instance is enough; loading never resets loaded stock, and an activity that has
        // started is loaded from its orders (an admin restarted after Redis lost its data must not sell them again).
        const key = `${activity.id}:${activity.startAt}:${activity.endAt}:${activity.stock}:${activity.stockShards}`;
        if (this.warmed.has(key)) continue;
        await this.hotState.load(activity);
        this.warmed.add(key);
      }
    } catch (error) {
      this.logger.warn(`prewarm: ${(error as Error).message}`);
    }
  }
}
