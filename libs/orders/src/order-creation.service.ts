import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue, UnrecoverableError } from 'bullmq';
import { ORDER_CREATE_JOB_OPTIONS, OrderCreateJob, OrderTimeoutJob, orderTimeoutJobs, QUEUES, ReservationRef } from '@seckill/contracts';
import { OrderRow, OrderWriter, WorkerIdLease } from '@seckill/order-store';
import { LeakyBucket } from '@seckill/flow-control';
import { AppConfig } from '@seckill/platform';
import { heldOrders, StockService } from '@seckill/stock';
import { ActivityLookup } from './activity-lookup';

export interface BatchOutcome {
  /** Orders of the batch (created now, or found from an earlier attempt). */
  orders: OrderRow[];
  /** Reservations that can never become an order, each handed on as a job of its own to fail visibly. */
  refused: string[];
}

/**
 * Turns a batch of reservations into their orders, idempotently: the inserts are keyed on the reservation (a
 * replayed job, or two workers racing on one, find the same rows; concurrent batches share one multi-row INSERT
 * per table, see OrderWriter), the timeout jobs are named after their orders, and the results in Redis are
 * written last, so a crash at any step is finished by the job's retry. A job that can never succeed throws
 * UnrecoverableError: BullMQ moves it to the failed set at once instead of retrying.
 */
@Injectable()
export class OrderCreationService {
  private readonly logger = new Logger(OrderCreationService.name);
  /** ORDER_DRAIN_RATE_PER_SECOND orders per second at most from this process, however the batches come. */
  private readonly drain: LeakyBucket;

  constructor(
    config: AppConfig,
    private readonly writer: OrderWriter,
    private readonly ids: WorkerIdLease,
    private readonly activities: ActivityLookup,
    private readonly stock: StockService,
    @InjectQueue(QUEUES.orderTimeout) private readonly timeouts: Queue<OrderTimeoutJob>,
    @InjectQueue(QUEUES.orderCreate) private readonly creates: Queue<OrderCreateJob>,
  ) {
    this.drain = new LeakyBucket(config.ORDER_DRAIN_RATE_PER_SECOND);
  }

  async create(job: OrderCreateJob): Promise<BatchOutcome> {
    const activity = await this.activities.get(job.activityId);
    if (!activity) throw new UnrecoverableError(`activity ${job.activityId} does not exist`);
    const records = await this.stock.reservations(job.activityId, job.reservations.map((r) => r.reservationId));
    // A reservation released before its order was written (an operator discarded its failed job) gets no order.
    const known = job.reservations.filter((_, index) => records[index] !== null && records[index]?.status !== 'CANCELLED');
    const unknown = job.reservations.filter((_, index) => records[index] === null);
    if (known.length === 0 && unknown.length > 0) {
      throw new UnrecoverableError(`reservation(s) ${unknown.map((r) => r.reservationId).join(', ')} unknown to Redis`);
    }
    if (known.length === 0) return { orders: [], refused: [] };

    await this.drain.acquire(known.length);
    // Redis may have lost reservations while the batch waited its turn (a flush, a failover) and sold their units again
    // since: each stands again only with a unit, or gets no order (the instance that accepted it reports it lost).
    const stands = await this.stock.reclaim(activity, known);
    const gone = known.filter((_, index) => !stands[index]);
    if (gone.length > 0) {
      this.logger.error(`${gone.length} reservation(s) of activity ${job.activityId} lost with Redis' data and their units sold again: no order`);
    }
    const writable = known.filter((_, index) => stands[index]);
    const now = Date.now();
    const rows = await Promise.all(
      writable.map((reservation) => {
        const userId = BigInt(reservation.userId);
        return this.writer.write({
          id: this.ids.nextId(userId),
          reservationId: reservation.reservationId,
          activityId: job.activityId,
          userId,
          priceCents: activity.priceCents,
          createdAt: new Date(now),
          expiresAt: new Date(now + activity.paymentTimeoutSeconds * 1000),
        });
      }),
    );
    const orders = rows.filter((row): row is OrderRow => row !== null);
    // A user who already holds another live order of the activity: not this batch's to decide silently.
    const conflicting = writable.filter((_, index) => rows[index] === null);
    const refused = [...unknown, ...conflicting];
    if (job.reservations.length > 1 && refused.length > 0) await this.handOnAlone(job.activityId, refused);
    else if (refused.length > 0) {
      throw new UnrecoverableError(
        `user ${refused[0].userId} already holds another live order of activity ${job.activityId} (reservation ${refused[0].reservationId})`,
      );
    }

    await this.scheduleTimeouts(job.activityId, orders.filter((order) => order.status === 'PENDING_PAYMENT'));
    const recorded = await this.stock.markManyCreated(job.activityId, orders.map((order) => [order.reservation_id, String(order.id)]));
    if (recorded < orders.length) {
      // Some were recorded already (a replay), or Redis lost their reservations in the moment between reclaim and the
      // write: those orders hold units all the same, so Redis adopts them (a holder each, and a unit if the activity is
      // loaded again; one that is not there shows in reconciliation) rather than put their units on sale twice.
      await this.stock.restore(activity, heldOrders(orders), 'adopt');
    }
    return { orders, refused: refused.map((r) => r.reservationId) };
  }

  /** A job whose every attempt failed: a lone reservation is marked FAILED for its shopper. */
  async failed(job: OrderCreateJob, reason: string): Promise<void> {
    this.logger.error(`order-create job for ${job.reservations.length} reservation(s) failed for good: ${reason}`);
    // A batch's reservations stay QUEUED: once the queue is idle the sweeper hands each on alone.
    if (job.reservations.length === 1) await this.stock.markFailed(job.activityId, job.reservations[0].reservationId);
  }

  /** One delayed job per expiry second, named after its orders so that a retry schedules nothing twice. */
  private async scheduleTimeouts(activityId: number, orders: OrderRow[]): Promise<void> {
    const jobs = orderTimeoutJobs(activityId, orders.map((order) => ({ id: order.id, expiresAt: order.expires_at })));
    if (jobs.length > 0) await this.timeouts.addBulk(jobs);
  }

  private async handOnAlone(activityId: number, reservations: ReservationRef[]): Promise<void> {
    this.logger.warn(`handing ${reservations.length} reservation(s) of activity ${activityId} on alone`);
    await this.creates.addBulk(
      reservations.map((reservation) => ({
        name: 'create',
        data: { activityId, reservations: [reservation] },
        opts: { ...ORDER_CREATE_JOB_OPTIONS, jobId: reservation.reservationId },
      })),
    );
  }
}
