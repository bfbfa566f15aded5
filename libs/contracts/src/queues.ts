/** BullMQ queue names (each deployment's Redis prefix keeps them apart). */
export const QUEUES = {
  /** One job per reservation (jobId = reservationId): create the order in its shard. */
  orderCreate: 'order-create',
  /** One delayed job per order (jobId = order id): cancel it if still unpaid at expiresAt. */
  orderTimeout: 'order-timeout',
} as const;

/** Payload of an order-create job. */
export interface OrderCreateJob {
  reservationId: string;
  activityId: number;
  /** Decimal string: user ids may exceed 2^53. */
  userId: string;
  /** When the unit was reserved (ms since epoch). */
  reservedAt: number;
}

/** Payload of an order-timeout job. */
export interface OrderTimeoutJob {
  orderId: string;
}

/** Options of every order-create job: retried with backoff, kept when failed (never silently dropped). */
export const ORDER_CREATE_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: false,
} as const;
