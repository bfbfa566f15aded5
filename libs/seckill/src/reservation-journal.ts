import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MetricsService } from '@seckill/platform';
import { HotStateService, LostReservation, StockService } from '@seckill/stock';
import { CatalogService } from './catalog.service';

/** A reservation is looked at once it is this old (ms): by then it is normally an order, or waiting in the queue. */
const SETTLE_MS = 2000;
const CHECK_EVERY_MS = 5000;
/**
 * Missing this long (ms) from an activity Redis holds again: lost. An order written meanwhile by a batch in flight at
 * the loss is adopted by the order worker long before (it records its orders right after writing them).
 */
const LOST_AFTER_MS = 15_000;
/** Reservations one instance keeps at most; past it, the oldest are forgotten (and logged). */
const MAX_ENTRIES = 200_000;
/** Reservations per HMGET. */
const CHUNK = 1000;

interface Entry extends LostReservation {
  /** When a check first found it missing from a loaded activity. */
  missingSince?: number;
}

/**
 * This instance's record of the 202s it gave, each kept until Redis says it became an order (or was cancelled, or
 * failed where an operator sees it). Redis writes a reservation and its hand-off to the order queue in one script, so
 * a crash of any process loses nothing; but when Redis itself loses its data (a flush, a restart without persistence,
 * a failover to a replica that lagged), the reservations not yet in MySQL are gone with it, and only the instance that
 * accepted them still knows them. The journal finds them (missing from an activity Redis holds again; an activity Redis
 * lost is loaded again from its orders first) and reports them rather than let them vanish: the activity's lost hash,
 * which reconciliation lists, FAILED as the shopper's result, an error log line and seckill_reservations_lost_total.
 * In memory and bounded: it holds the units this instance sold that are still on their way to MySQL. A loss of
 * Redis' data and of this process at once loses the report too.
 */
@Injectable()
export class ReservationJournal implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReservationJournal.name);
  private readonly entries = new Map<number, Map<string, Entry>>();
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly lostTotal;

  constructor(
    private readonly stock: StockService,
    private readonly hotState: HotStateService,
    private readonly catalog: CatalogService,
    metrics: MetricsService,
  ) {
    this.lostTotal = metrics.counter('seckill_reservations_lost_total', 'Accepted reservations (202) lost with Redis\' data before they became orders, reported', []);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Notes a reservation this instance accepted (answered 202). */
  record(activityId: number, reservationId: string, userId: string, reservedAt: number): void {
    let byId = this.entries.get(activityId);
    if (!byId) this.entries.set(activityId, (byId = new Map()));
    byId.set(reservationId, { reservationId, userId, reservedAt });
    if (++this.size > MAX_ENTRIES) this.forgetOldest();
  }

  /** Reservations noted and not settled yet. */
  get pending(): number {
    return this.size;
  }

  /** One pass over the noted reservations; returns how many it reported lost. Never runs twice at once. */
  check(now = Date.now()): Promise<number> {
    if (this.running) return this.running;
    this.running = this.checkOnce(now)
      .catch((error: Error) => {
        this.logger.warn(`journal: ${error.message}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async checkOnce(now: number): Promise<number> {
    let reported = 0;
    for (const [activityId, byId] of this.entries) {
      const due = [...byId.values()].filter((entry) => entry.reservedAt <= now - SETTLE_MS);
      const missing: Entry[] = [];
      for (let i = 0; i < due.length; i += CHUNK) {
        const chunk = due.slice(i, i + CHUNK);
        const records = await this.stock.reservations(activityId, chunk.map((entry) => entry.reservationId));
        chunk.forEach((entry, index) => {
          const record = records[index];
          if (!record) missing.push(entry);
          else if (record.status === 'QUEUED') entry.missingSince = undefined;
          else this.forget(activityId, entry.reservationId);
        });
      }
      if (missing.length === 0) continue;
      if (!(await this.stock.isLoaded(activityId))) {
        // Redis lost the activity itself: load it again from its orders (which adopts what became orders) before
        // judging what is missing.
        const activity = await this.catalog.get(activityId);
        await this.hotState.load(activity, now);
        continue;
      }
      const lost = missing.filter((entry) => now - (entry.missingSince ??= now) >= LOST_AFTER_MS);
      if (lost.length === 0) continue;
      const count = await this.stock.reportLost(activityId, lost);
      for (const entry of lost) this.forget(activityId, entry.reservationId);
      this.lostTotal.inc(count);
      reported += count;
      this.logger.error(
        `${count} accepted reservation(s) of activity ${activityId} were lost with Redis' data before they became orders: ` +
          lost.slice(0, 20).map((entry) => `${entry.reservationId} (user ${entry.userId})`).join(', ') + (lost.length > 20 ? ', …' : ''),
      );
    }
    return reported;
  }

  private forget(activityId: number, reservationId: string): void {
    const byId = this.entries.get(activityId);
    if (byId?.delete(reservationId)) this.size--;
    if (byId?.size === 0) this.entries.delete(activityId);
  }

  private forgetOldest(): void {
    const [activityId, byId] = this.entries.entries().next().value as [number, Map<string, Entry>];
    const reservationId = byId.keys().next().value as string;
    this.logger.warn(`journal full (${MAX_ENTRIES} reservations on their way to MySQL): forgetting ${reservationId}`);
    this.forget(activityId, reservationId);
  }
}
