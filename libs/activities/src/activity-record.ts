import { ActivityStatus, ActivityView } from '@seckill/contracts';
import type { Activity } from '@seckill/platform';

/** An activity as the caches hold it: plain JSON, times in ms since epoch. */
export interface ActivityRecord {
  id: number;
  title: string;
  description: string;
  priceCents: number;
  originalPriceCents: number | null;
  stock: number;
  stockShards: number;
  startAt: number;
  endAt: number;
  paymentTimeoutSeconds: number;
  /** The front door (see FrontDoorSettings); records cached before these fields existed read as all off. */
  waitingRoomEnabled: boolean;
  admitPerSecond: number;
  staggerSeconds: number;
  maxParticipants: number;
  challengeDifficulty: number;
  /**
   * Set once the activity's hot state has left Redis (see ActivityRetirer): what Redis held then. Absent in copies
   * cached before this field existed, which is the same as null.
   */
  retired?: RetiredStock | null;
}

/** The stock of an activity as Redis held it when its hot state was retired. */
export interface RetiredStock {
  /** ms since epoch */
  at: number;
  /** Units left. */
  remaining: number;
  /** Units held by reservations not released (ordered, not cancelled). */
  reserved: number;
}

/** The front-door fields of a record: optional when creating an activity (all off by default). */
export type FrontDoorField = 'waitingRoomEnabled' | 'admitPerSecond' | 'staggerSeconds' | 'maxParticipants' | 'challengeDifficulty';

export function toRecord(row: Activity): ActivityRecord {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    priceCents: row.priceCents,
    originalPriceCents: row.originalPriceCents,
    stock: row.stock,
    stockShards: row.stockShards,
    startAt: row.startAt.getTime(),
    endAt: row.endAt.getTime(),
    paymentTimeoutSeconds: row.paymentTimeoutSeconds,
    waitingRoomEnabled: row.waitingRoomEnabled,
    admitPerSecond: row.admitPerSecond,
    staggerSeconds: row.staggerSeconds,
    maxParticipants: row.maxParticipants,
    challengeDifficulty: row.challengeDifficulty,
    retired:
      row.retiredAt === null
        ? null
        : { at: row.retiredAt.getTime(), remaining: row.finalRemaining ?? 0, reserved: row.finalReserved ?? 0 },
  };
}

/** The status shoppers see, from the sale window and what is left. */
export function activityStatus(record: ActivityRecord, remaining: number, now: number): ActivityStatus {
  if (now >= record.endAt) return 'ENDED';
  if (now < record.startAt) return 'UPCOMING';
  return remaining > 0 ? 'ACTIVE' : 'SOLD_OUT';
}

/** The API's `activity` (docs/api.md). */
export function toActivityView(record: ActivityRecord, remaining: number, now: number): ActivityView {
  return {
    id: record.id,
    title: record.title,
    description: record.description,
    priceCents: record.priceCents,
    originalPriceCents: record.originalPriceCents,
    stock: record.stock,
    remaining,
    startAt: new Date(record.startAt).toISOString(),
    endAt: new Date(record.endAt).toISOString(),
    status: activityStatus(record, remaining, now),
    waitingRoom: { enabled: record.waitingRoomEnabled === true, admitPerSecond: record.admitPerSecond ?? 0 },
    staggerSeconds: record.staggerSeconds ?? 0,
    maxParticipants: record.maxParticipants ?? 0,
    challengeDifficulty: record.challengeDifficulty ?? 0,
  };
}
