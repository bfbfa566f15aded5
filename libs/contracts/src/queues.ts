/** BullMQ queue names (each deployment's Redis prefix keeps them apart). */
export const QUEUES = {
  /** Batches of reservations of one activity: create their orders in their shards. */
  orderCreate: 'order-create',
  /** Delayed jobs, one per batch of orders that expire together: cancel those still unpaid at expiresAt. */
  orderTimeout: 'order-timeout',
} as const;

/** One reservation waiting for its order. */
export interface ReservationRef {
  reservationId: string;
  /** Decimal string: user ids may exceed 2^53. */
  userId: string;
  /** When the unit was reserved (ms since epoch). */
  reservedAt: number;
}

/**
 * Payload of an order-create job: up to ORDER_BATCH_MAX reservations of one activity. Batches, not one job per
 * reservation: a BullMQ job costs a few Redis scripts, which would cap the drain far below what MySQL takes, while
 * a batch's orders share multi-row INSERTs. The relay names a batch after its first stream entry
 * (`<activityId>-<entry id>`); the sweeper enqueues a lost reservation alone, under its reservation id.
 */
export interface OrderCreateJob {
  activityId: number;
  reservations: ReservationRef[];
}

/** Reservations in one order-create job at most. */
export const ORDER_BATCH_MAX = 1000;

/** Payload of an order-timeout job: orders of one activity created together, due at the same second. */
export interface OrderTimeoutJob {
  orderIds: string[];
  /** The orders' activity (absent in jobs scheduled by older versions: read from the first order). */
  activityId?: number;
}

/**
 * The order-timeout jobs for orders of one activity, as the order service schedules them: one delayed job per expiry second, named
 * after its orders (`timeout-<smallest id>-<count>`), so that scheduling the same orders again adds nothing.
 */
export function orderTimeoutJobs(activityId: number, orders: Array<{ id: bigint; expiresAt: Date }>, now = Date.now()) {
  const bySecond = new Map<number, bigint[]>();
  for (const order of orders) {
    const second = Math.ceil(order.expiresAt.getTime() / 1000);
    const group = bySecond.get(second);
    if (group) group.push(order.id);
    else bySecond.set(second, [order.id]);
  }
  return [...bySecond].map(([second, group]) => {
    const ids = group.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const data: OrderTimeoutJob = { orderIds: ids.map(String), activityId };
    return {
      name: 'timeout',
      data,
      opts: {
        jobId: `timeout-${ids[0]}-${ids.length}`,
        delay: Math.max(0, second * 1000 - now),
        attempts: 20,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: false,
      },
    };
  });
}

/** Options of every order-create job: retried with backoff, kept when failed (never silently dropped). */
export const ORDER_CREATE_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: false,
} as const;

/**
 * The order-create jobs for reservations of one activity, as the relay makes them: batches of ORDER_BATCH_MAX,
 * each named `<activityId>-<key of its first reservation>` (the relay's keys are stream entry ids; by default the
 * reservation id), so that making the same jobs twice adds nothing.
 */
export function orderCreateJobs(activityId: number, reservations: ReservationRef[], keys?: string[], batchSize = ORDER_BATCH_MAX) {
  const jobs = [];
  for (let i = 0; i < reservations.length; i += batchSize) {
    const data: OrderCreateJob = { activityId, reservations: reservations.slice(i, i + batchSize) };
    const jobId = `${activityId}-${keys?.[i] ?? reservations[i].reservationId}`;
    jobs.push({ name: 'create', data, opts: { ...ORDER_CREATE_JOB_OPTIONS, jobId } });
  }
  return jobs;
}

/** A batch job's id: `<activityId>-<stream entry id>` (the relay) or `<activityId>-<reservation id>` (the default). */
const BATCH_JOB_ID = /^([1-9][0-9]*)-(?:[0-9]+-[0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * The activity of an order-create batch made by orderCreateJobs, from its job id alone (no need to read the job);
 * undefined for any other job id, such as a lone reservation's (its bare reservation id).
 */
export function activityOfBatchJob(jobId: string): number | undefined {
  const match = BATCH_JOB_ID.exec(jobId);
  return match ? Number(match[1]) : undefined;
}
