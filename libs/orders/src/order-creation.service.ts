import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { OrderCreateJob, OrderTimeoutJob } from '@seckill/contracts';
import { OrderRow, OrderWriter, WorkerIdLease } from '@seckill/order-store';
import { MicroBatcher, ORDER_TIMEOUT_QUEUE } from '@seckill/platform';
import { StockService } from '@seckill/stock';
import { ActivityLookup } from './activity-lookup';

/** The job id of an order's timeout: one per order, so scheduling it again is harmless. */
export const timeoutJobId = (orderId: bigint | string) => `timeout-${orderId}`;

/**
 * Turns a reservation into its order, idempotently: the insert is keyed on the reservation (a replayed job, or two
 * workers racing on one, find the same row; concurrent jobs share one multi-row INSERT per table, see OrderWriter), the timeout job is keyed on the order, and the result record in
 * Redis is written last, so a crash at any step is finished by the job's retry. A job that can never succeed
 * throws UnrecoverableError: BullMQ moves it to the failed set at once instead of retrying.
 */
@Injectable()
export class OrderCreationService {
  private readonly logger = new Logger(OrderCreationService.name);
  /** Timeout jobs of concurrently created orders go to BullMQ in one addBulk. */
  private readonly timeoutJobs: MicroBatcher<OrderRow, Job<OrderTimeoutJob>>;

  constructor(
    private readonly writer: OrderWriter,
    private readonly ids: WorkerIdLease,
    private readonly activities: ActivityLookup,
    private readonly stock: StockService,
    @Inject(ORDER_TIMEOUT_QUEUE) timeouts: Queue<OrderTimeoutJob>,
  ) {
    this.timeoutJobs = new MicroBatcher({
      maxSize: 500,
      lingerMs: 2,
      run: (orders) => timeouts.addBulk(orders.map((order) => timeoutJob(order))),
    });
  }

  async create(job: OrderCreateJob): Promise<OrderRow> {
    const activity = await this.activities.get(job.activityId);
    if (!activity) throw new UnrecoverableError(`activity ${job.activityId} does not exist`);
    const userId = BigInt(job.userId);
    const reservation = await this.stock.reservation(job.activityId, job.reservationId);
    if (!reservation) throw new UnrecoverableError(`reservation ${job.reservationId} is unknown to Redis`);

    const createdAt = new Date();
    const order = await this.writer.write({
      id: this.ids.nextId(userId),
      reservationId: job.reservationId,
      activityId: job.activityId,
      userId,
      priceCents: activity.priceCents,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + activity.paymentTimeoutSeconds * 1000),
    });
    if (!order) {
      throw new UnrecoverableError(
        `user ${job.userId} already holds another live order of activity ${job.activityId} (reservation ${job.reservationId})`,
      );
    }
    if (order.status === 'PENDING_PAYMENT') await this.timeoutJobs.add(order);
    await this.stock.markCreated(job.activityId, job.reservationId, String(order.id));
    return order;
  }

  /** The job exhausted its attempts: tell the shopper (result FAILED); the job stays in the failed set. */
  async failed(job: OrderCreateJob, reason: string): Promise<void> {
    this.logger.error(`order for reservation ${job.reservationId} failed for good: ${reason}`);
    await this.stock.markFailed(job.activityId, job.reservationId);
  }
}

/** The delayed job that cancels an order still unpaid at its expiresAt. */
function timeoutJob(order: OrderRow) {
  return {
    name: 'timeout',
    data: { orderId: String(order.id) },
    opts: {
      jobId: timeoutJobId(order.id),
      delay: Math.max(0, order.expires_at.getTime() - Date.now()),
      attempts: 20,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: false,
    },
  };
}
