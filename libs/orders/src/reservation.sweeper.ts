import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ORDER_CREATE_JOB_OPTIONS, OrderCreateJob, QUEUES } from '@seckill/contracts';
import { OrderRepository } from '@seckill/order-store';
import { AppConfig, MetricsService } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { activitiesWithPendingBatches } from './pending-batches';

/**
 * The safety net of "every 202 becomes an order": finds reservations still QUEUED long after they were made and
 * finishes them, activity by activity, once no batch of that activity is left in the order-create queue (until then
 * they are most likely in it; a batch backing off for one activity holds up no other). No job of its own
 * (the relay never got it there, its batch failed for good, or the job vanished) → enqueue it alone (jobId =
 * reservation id, so doing it twice adds nothing; orders are idempotent anyway); a completed job whose result was
 * never recorded → record it from MySQL. A lone job that failed for good is left to the operator (failed set,
 * visible to admin) and its reservation is FAILED.
 */
@Injectable()
export class ReservationSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReservationSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly requeued;
  private readonly repairs;

  constructor(
    private readonly config: AppConfig,
    private readonly stock: StockService,
    private readonly orders: OrderRepository,
    @InjectQueue(QUEUES.orderCreate) private readonly queue: Queue<OrderCreateJob>,
    metrics: MetricsService,
  ) {
    this.requeued = metrics.counter('orders_sweeper_requeued_total', 'Reservations the sweeper handed to the queue again', []);
    this.repairs = metrics.counter('orders_sweeper_repairs_total', 'Reservations the sweeper finished, by kind', ['kind']);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.ORDER_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every live activity; returns how many reservations it repaired. */
  async sweep(): Promise<number> {
    if (this.running) return this.running;
    this.running = this.sweepOnce()
      .catch((error: Error) => {
        this.logger.warn(`sweep: ${error.message}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    const busy = await activitiesWithPendingBatches(this.queue);
    const olderThan = Date.now() - this.config.ORDER_SWEEP_AFTER_MS;
    let repaired = 0;
    for (const activityId of await this.stock.liveActivities()) {
      // While a batch of the activity is waiting, running or backing off, its QUEUED reservations are most likely in
      // it (the sweeper cannot tell which batch holds which): leave them to it rather than add load when the drain
      // is behind. Other activities are repaired meanwhile.
      if (busy.has(activityId)) continue;
      for await (const reservation of this.stock.queuedBefore(activityId, olderThan)) {
        const state = await this.queue.getJobState(reservation.reservationId);
        if (state === 'unknown') {
          const { reservationId, userId, reservedAt } = reservation;
          await this.queue.add(
            'create',
            { activityId, reservations: [{ reservationId, userId, reservedAt }] },
            { ...ORDER_CREATE_JOB_OPTIONS, jobId: reservationId },
          );
          this.requeued.inc();
          this.repairs.inc({ kind: 'requeued' });
          repaired++;
        } else if (state === 'completed') {
          const order = await this.orders.findByReservation(BigInt(reservation.userId), reservation.reservationId);
          if (order) {
            await this.stock.markCreated(activityId, reservation.reservationId, String(order.id));
            this.repairs.inc({ kind: 'recorded' });
            repaired++;
          }
        }
      }
    }
    if (repaired > 0) this.logger.warn(`sweeper repaired ${repaired} reservation(s)`);
    return repaired;
  }
}
