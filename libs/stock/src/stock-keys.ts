import { RedisKeys } from '@seckill/platform';

/** The consumer group of the relays that move reservations from an activity's stream to the order queue. */
export const RELAY_GROUP = 'relay';

/** The Redis keys of one activity's stock; all share the activity's hash tag (one Redis Cluster slot). */
export class StockKeys {
  readonly meta: string;
  readonly holders: string;
  readonly reservations: string;
  readonly last: string;
  readonly stream: string;
  readonly lost: string;
  readonly stock: string[];
  private readonly ratePrefix: string;

  constructor(keys: RedisKeys, activityId: number, shards: number) {
    const base = keys.key(keys.activityTag(activityId));
    this.meta = `${base}:meta`;
    /** user id → reservation id, while the user holds a unit (cleared when it is released). */
    this.holders = `${base}:holders`;
    /** reservation id → "STATUS|user|stock key index|reserved at|order id". */
    this.reservations = `${base}:reservations`;
    /** user id → the user's latest reservation id (kept after release, for the result endpoint). */
    this.last = `${base}:last`;
    /** Reservations waiting to be handed to the order queue. */
    this.stream = `${base}:stream`;
    /** reservation id → "user|reserved at", for reservations accepted (202) and lost with Redis' data (see report-lost.lua). */
    this.lost = `${base}:lost`;
    this.stock = Array.from({ length: shards }, (_, index) => `${base}:stock:${index}`);
    this.ratePrefix = `${base}:rate:`;
  }

  /**
   * Every key of the activity's hot state (the rate windows expire by themselves; the catalog's entries belong to
   * the catalog).
   */
  get all(): string[] {
    return [this.meta, this.holders, this.reservations, this.last, this.stream, ...this.stock];
  }

  /** The fixed one-second window of the activity's rate limit. */
  rateWindow(nowMs: number): string {
    return this.ratePrefix + Math.floor(nowMs / 1000);
  }
}
