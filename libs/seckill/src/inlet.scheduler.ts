import { monitorEventLoopDelay, IntervalHistogram } from 'node:perf_hooks';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { FrontDoorKeys, FrontDoorStore, inletRate, LeaderLease } from '@seckill/front-door';
import { SwitchesService } from '@seckill/flow-control';
import { AppConfig, REDIS, RedisKeys } from '@seckill/platform';
import { CatalogService } from './catalog.service';
import { SeckillMetrics } from './seckill.metrics';

/** Reservations waiting for the relay above which the room slows in proportion (the relay moves ~10k/s). */
const MAX_RELAY_BACKLOG = 20_000;
/** Positions checked for expiry per activity and step, so one step stays a short script however long the queue. */
const MAX_EXPIRY_CHECKS = 2000;
/** Rooms are stepped from a little before their start (so the first step lands at the start)... */
const LEAD_MS = 1000;
/** ...until a minute after their end (the steps after the end tell the waiting CLOSED), then taken off the list. */
const RETIRE_ROOM_AFTER_MS = 60_000;

/**
 * The waiting rooms' inlet. Every WAITING_ROOM_INLET_MS, the one instance that holds the inlet lease advances the
 * serving position of each activity with a waiting room (FrontDoorStore.advance) at its admission rate, lowered
 * while the funnel is saturated: purchases shed by the switch, this instance's event loop lagging, the relay falling
 * behind (inletRate). Only rooms someone joined are stepped (FrontDoorStore.rooms), so an idle deployment costs one SMEMBERS a step. The lease lasts a few steps, so a dead leader is replaced within about a second; and since the
 * inlet admits by elapsed time, two instances stepping at once during a hand-over still admit once.
 */
@Injectable()
export class InletScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('waiting-room');
  private readonly lease: LeaderLease;
  private readonly lag: IntervalHistogram;
  private readonly backlog = new Map<number, number>();
  private readonly serving = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private leading = false;

  constructor(
    @Inject(REDIS) redis: Redis,
    keys: RedisKeys,
    private readonly config: AppConfig,
    private readonly catalog: CatalogService,
    private readonly store: FrontDoorStore,
    private readonly switches: SwitchesService,
    private readonly metrics: SeckillMetrics,
  ) {
    this.lease = new LeaderLease(redis, FrontDoorKeys.inletLease(keys), Math.max(1000, config.WAITING_ROOM_INLET_MS * 5));
    this.lag = monitorEventLoopDelay({ resolution: 20 });
  }

  onApplicationBootstrap(): void {
    this.lag.enable();
    this.timer = setInterval(() => void this.tick(), this.config.WAITING_ROOM_INLET_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.lag.disable();
    if (this.leading) await this.lease.release().catch(() => undefined);
  }

  /** One step of every waiting room, if this instance leads. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const leading = await this.lease.hold();
      if (leading !== this.leading) this.logger.log(leading ? 'this instance runs the waiting-room inlet' : 'the inlet lease went to another instance');
      this.leading = leading;
      if (!leading) return;
      const delayMs = this.lag.mean / 1e6;
      this.lag.reset();
      for (const id of await this.store.rooms()) {
        const activity = await this.catalog.find(id);
        const start = Date.now();
        if (!activity || start >= activity.endAt + RETIRE_ROOM_AFTER_MS) {
          await this.store.forgetRoom(id);
          continue;
        }
        if (activity.waitingRoomEnabled !== true || start < activity.startAt - LEAD_MS) continue;
        const { rate } = inletRate(
          activity.admitPerSecond,
          {
            shedPercent: this.switches.get('purchaseShedPercent'),
            eventLoopDelayMs: Number.isFinite(delayMs) ? delayMs : 0,
            relayBacklog: this.backlog.get(activity.id) ?? 0,
          },
          { maxEventLoopDelayMs: this.config.SHED_MAX_EVENT_LOOP_DELAY_MS, maxRelayBacklog: MAX_RELAY_BACKLOG },
        );
        const outcome = await this.store.advance(activity, {
          now: Date.now(),
          rate,
          admissionWindowMs: this.config.WAITING_ROOM_ADMISSION_SECONDS * 1000,
          maxExpiryChecks: MAX_EXPIRY_CHECKS,
        });
        this.backlog.set(activity.id, outcome.backlog);
        const admitted = outcome.servingPosition - (this.serving.get(activity.id) ?? outcome.servingPosition);
        if (admitted > 0) this.metrics.admitted.inc({ activity: String(activity.id) }, admitted);
        if (outcome.expired > 0) this.metrics.admissionsExpired.inc({ activity: String(activity.id) }, outcome.expired);
        this.serving.set(activity.id, outcome.servingPosition);
      }
    } catch (error) {
      this.logger.warn(`inlet: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
