import { Injectable, Logger } from '@nestjs/common';
import { OrderRepository, OrderRow } from '@seckill/order-store';
import { AppConfig } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { ActivityLookup } from './activity-lookup';
import { OrdersMetrics } from './orders.metrics';

/** What became of one timeout job's orders. */
export interface TimeoutOutcome {
  /** Orders of the job that are CANCELLED now (by this pass, an earlier attempt, or their shopper). */
  cancelled: number;
  /** Orders still PENDING_PAYMENT because they are not due yet (the job came early: clocks differ). */
  early: string[];
  /** The (last) pass that took the job's orders, numbered from 1 in this process (see OrderTimeouts.passCount). */
  pass: number;
}

/** Passes in flight at once (see OrderTimeouts.fill). */
const PASSES_AT_ONCE = 4;

/** One timeout job waiting for its orders to go through the passes. */
interface Waiting {
  remaining: number;
  outcome: TimeoutOutcome;
  settled: boolean;
  resolve: (outcome: TimeoutOutcome) => void;
  reject: (error: Error) => void;
}

interface Item {
  id: bigint;
  waiting: Waiting;
}

/**
 * Cancels unpaid orders at their expiry in batches, and keeps one activity's backlog from delaying another's.
 *
 * The timeout jobs (one per creation batch and expiry second, see orderTimeoutJobs) hand their orders here and wait;
 * the orders queue up per activity ("lanes"), and passes go over them (a few in flight at once): each pass takes up to
 * ORDER_TIMEOUT_BATCH orders from every lane that has some, round robin, and for each activity's share makes one
 * conditional UPDATE per shard table (OrderRepository.cancelExpired) and one release script call (release.lua over
 * all of them), with one log line. A hand-written scheduler rather than BullMQ's order: BullMQ hands out due jobs first
 * come first served, so 50,000 orders due a little earlier delayed another activity's single order for as long as
 * they took; here that order is in the very next pass once its job is taken, whatever the other lanes hold (bounded
 * by one pass: at most ORDER_TIMEOUT_BATCH orders of each activity). The jobs are taken many at once (see
 * OrderTimeoutProcessor), so the jobs due before it delay it only by their taking (a Redis call each), not by their
 * cancels. The queue stays the durable record: a job completes only once every order of it went through a pass, and
 * fails (to be retried with backoff) if its pass failed or some order is not due.
 *
 * Correctness: the UPDATE is conditional (PENDING_PAYMENT and expired), so a payment racing it either made the order
 * PAID first (the UPDATE skips it, its unit stays sold) or finds it CANCELLED (its own conditional UPDATE changes
 * nothing). Units are released for exactly the orders of the batch that are CANCELLED after the UPDATE, and the
 * release is idempotent per reservation: a crash between the UPDATE and the release leaves the job unfinished (its
 * lock lapses and BullMQ runs it again as stalled, or it failed and is retried), and the retry's UPDATE changes
 * nothing, its read finds the orders CANCELLED and the release returns exactly the units that had not gone back.
 */
@Injectable()
export class OrderTimeouts {
  private readonly logger = new Logger(OrderTimeouts.name);
  /** Activity id → its orders waiting for a pass, in arrival order; a lane leaves the map once empty. */
  private readonly lanes = new Map<number, Item[]>();
  private passes = 0;
  private inFlight = 0;
  private fillScheduled = false;

  constructor(
    private readonly config: AppConfig,
    private readonly orders: OrderRepository,
    private readonly stock: StockService,
    private readonly activities: ActivityLookup,
    private readonly metrics: OrdersMetrics,
  ) {}

  /** Number of passes started so far (for tests: which pass an order went through). */
  get passCount(): number {
    return this.passes;
  }

  /** Cancels those of the orders (all of one activity) still unpaid and due, and returns their units. */
  expire(activityId: number, orderIds: string[]): Promise<TimeoutOutcome> {
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { remaining: orderIds.length, outcome: { cancelled: 0, early: [], pass: 0 }, settled: false, resolve, reject };
      if (orderIds.length === 0) return resolve(waiting.outcome);
      let lane = this.lanes.get(activityId);
      if (!lane) {
        lane = [];
        this.lanes.set(activityId, lane);
      }
      for (const id of orderIds) lane.push({ id: BigInt(id), waiting });
      this.kick();
    });
  }

  private kick(): void {
    if (this.fillScheduled) return;
    this.fillScheduled = true;
    // Let the jobs taken in the same moment join the same pass.
    setImmediate(() => {
      this.fillScheduled = false;
      this.fill();
    });
  }

  /**
   * Starts passes while there are due orders, PASSES_AT_ONCE at most: a pass waits on MariaDB and Redis most of its
   * time, so a few in flight keep them busy (bench:orders, 50,000 orders of one activity: 7,400 orders/s against
   * 5,500 with one pass at a time, same load), while each pass still gives every activity its share.
   */
  private fill(): void {
    while (this.inFlight < PASSES_AT_ONCE && this.lanes.size > 0) {
      const pass = ++this.passes;
      const shares: Array<[number, Item[]]> = [];
      for (const [activityId, lane] of this.lanes) {
        shares.push([activityId, lane.splice(0, this.config.ORDER_TIMEOUT_BATCH)]);
        if (lane.length === 0) this.lanes.delete(activityId);
      }
      this.inFlight++;
      // Activities side by side: one activity's share of the pass does not wait for another's.
      void Promise.all(shares.map(([activityId, items]) => this.cancelBatch(activityId, items, pass))).finally(() => {
        this.inFlight--;
        this.fill();
      });
    }
  }

  private async cancelBatch(activityId: number, items: Item[], pass: number): Promise<void> {
    const now = new Date();
    let rows: OrderRow[];
    let cancelled = 0;
    let released = 0;
    try {
      const result = await this.orders.cancelExpired(activityId, items.map((item) => item.id), now);
      cancelled = result.cancelled;
      rows = result.rows;
      this.metrics.timeoutsCancelled.inc(cancelled);
      // Every order of the batch that is CANCELLED now, whoever cancelled it: see the class comment (crash safety).
      // Grouped by the rows' own activity, which is the lane's but for a job of an unknown activity.
      const toRelease = new Map<number, Array<{ reservationId: string; orderId: string }>>();
      for (const row of rows) {
        if (row.status !== 'CANCELLED') continue;
        const group = toRelease.get(row.activity_id) ?? [];
        group.push({ reservationId: row.reservation_id, orderId: String(row.id) });
        toRelease.set(row.activity_id, group);
      }
      for (const [id, reservations] of toRelease) {
        const activity = await this.activities.get(id);
        const units = await this.stock.releaseMany(id, activity?.stockShards ?? 1, reservations);
        // Every seckill instance lifts its in-memory sold-out flag.
        if (units > 0) await this.stock.announceSoldOut(id, false);
        released += units;
      }
    } catch (error) {
      for (const { waiting } of items) {
        if (!waiting.settled) {
          waiting.settled = true;
          waiting.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      this.logger.warn(`timeouts of activity ${activityId}: a batch of ${items.length} failed, its jobs will retry: ${String(error)}`);
      return;
    }
    if (cancelled > 0 || released > 0) {
      this.logger.log(`timeouts of activity ${activityId}: ${items.length} due, ${cancelled} cancelled, ${released} unit(s) back`);
    }
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const { id, waiting } of items) {
      const row = byId.get(id);
      waiting.outcome.pass = Math.max(waiting.outcome.pass, pass);
      if (row?.status === 'CANCELLED') waiting.outcome.cancelled++;
      else if (row?.status === 'PENDING_PAYMENT' && row.expires_at > now) waiting.outcome.early.push(String(id));
      waiting.remaining--;
      if (waiting.remaining === 0 && !waiting.settled) {
        waiting.settled = true;
        waiting.resolve(waiting.outcome);
      }
    }
  }
}
