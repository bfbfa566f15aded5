import { GENE_BITS, GENE_MASK } from './shard-router';

/**
 * Order ids without a central counter, snowflake-style, 63 bits:
 *   41 bits milliseconds since 2026-01-01 | 5 bits worker | 7 bits sequence | 10 bits shard gene (user id mod 1024)
 * The gene lets any reader route an order id to its table. Each worker process holds a distinct worker number
 * (WorkerIdLease), and within one millisecond a worker issues at most 128 ids, waiting for the next millisecond
 * past that. If the clock steps back, ids continue from the last millisecond issued, so they never repeat.
 */
export const ORDER_ID_EPOCH_MS = Date.UTC(2026, 0, 1);
const WORKER_BITS = 5n;
const SEQUENCE_BITS = 7n;
export const MAX_WORKERS = 1 << Number(WORKER_BITS);
/** Order ids are signed 64-bit: a larger decimal is no order of ours. */
export const MAX_ORDER_ID = 2n ** 63n - 1n;
/** An order id as a decimal string (what the API takes in paths and cursors). */
export const ORDER_ID_PATTERN = /^[1-9][0-9]{0,18}$/;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;

export class OrderIdGenerator {
  private lastMs = -1;
  private sequence = 0;

  constructor(
    private readonly workerId: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId >= MAX_WORKERS) {
      throw new RangeError(`workerId must be 0..${MAX_WORKERS - 1}, got ${workerId}`);
    }
  }

  next(userId: bigint): bigint {
    let now = Math.max(this.clock() - ORDER_ID_EPOCH_MS, this.lastMs);
    if (now === this.lastMs) {
      if (this.sequence === MAX_SEQUENCE) {
        // Out of sequence numbers for this millisecond: move to the next one.
        now = this.lastMs + 1;
        this.sequence = 0;
      } else {
        this.sequence++;
      }
    } else {
      this.sequence = 0;
    }
    this.lastMs = now;
    return (
      (BigInt(now) << (WORKER_BITS + SEQUENCE_BITS + GENE_BITS)) |
      (BigInt(this.workerId) << (SEQUENCE_BITS + GENE_BITS)) |
      (BigInt(this.sequence) << GENE_BITS) |
      (userId & GENE_MASK)
    );
  }
}

/** The parts of an order id (for tests and debugging). */
export function decodeOrderId(id: bigint): { ms: number; workerId: number; sequence: number; gene: number } {
  return {
    ms: Number(id >> (WORKER_BITS + SEQUENCE_BITS + GENE_BITS)) + ORDER_ID_EPOCH_MS,
    workerId: Number((id >> (SEQUENCE_BITS + GENE_BITS)) & ((1n << WORKER_BITS) - 1n)),
    sequence: Number((id >> GENE_BITS) & ((1n << SEQUENCE_BITS) - 1n)),
    gene: Number(id & GENE_MASK),
  };
}
