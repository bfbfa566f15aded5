import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { ActivityRepository } from '@seckill/activities';
import { SwitchesService } from '@seckill/flow-control';
import { REDIS, RedisKeys } from '@seckill/platform';
import { PlansService } from './plans.service';

const EVERY_MS = 5000;
const MINUTE = 60_000;

/**
 * The automatic level 1 (autoDegradeMinutes = N > 0): enters the automatic plan N minutes before an activity's start
 * and leaves it N minutes after. Every admin instance runs it; the plan scripts make entry and exit atomic, and a
 * marker per activity (SET NX, retired with the window) makes the entry happen once per start, so an operator who
 * reverts inside the window is not overruled on the next pass. A plan an operator applied is never touched.
 */
@Injectable()
export class AutoDegradeScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AutoDegradeScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly switches: SwitchesService,
    private readonly activities: ActivityRepository,
    private readonly plans: PlansService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass at `now` (ms; injectable for tests): enter or leave the automatic plan as the windows say. */
  async tick(now = Date.now()): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass(now)
      .catch((error: Error) => this.logger.warn(`auto degradation: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(now: number): Promise<void> {
    const minutes = this.switches.get('autoDegradeMinutes');
    const window = minutes * MINUTE;
    const inWindow =
      minutes > 0
        ? (await this.activities.findStartingBefore(new Date(now + window), new Date(now))).filter(
            (activity) => activity.startAt >= now - window,
          )
        : [];
    if (inWindow.length === 0) {
      if (await this.plans.leaveAutomatically()) this.logger.log('left the automatic degradation plan');
      return;
    }
    for (const activity of inWindow) {
      // Once per start: the marker outlives the window, then retires by itself.
      const marker = this.keys.key('plans', 'auto', activity.id, activity.startAt);
      const first = await this.redis.set(marker, '1', 'PX', 2 * window + MINUTE, 'NX');
      if (first !== 'OK') continue;
      if (await this.plans.enterAutomatically(activity.id)) {
        this.logger.log(`entered the automatic degradation plan around the start of activity ${activity.id}`);
      }
    }
  }
}
