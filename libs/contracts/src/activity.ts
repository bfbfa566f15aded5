/** An activity's state as shoppers see it. */
export type ActivityStatus = 'UPCOMING' | 'ACTIVE' | 'SOLD_OUT' | 'ENDED';

/** The `activity` of docs/api.md. */
export interface ActivityView {
  id: number;
  title: string;
  description: string;
  priceCents: number;
  originalPriceCents: number | null;
  stock: number;
  remaining: number;
  startAt: string;
  endAt: string;
  status: ActivityStatus;
  /** The front door (each off by default). */
  waitingRoom: { enabled: boolean; admitPerSecond: number };
  /** Tokens open for each shopper at startAt plus an offset in [0, staggerSeconds) derived from the user id. */
  staggerSeconds: number;
  /** Distinct shoppers that may hold purchase tokens (0 = no cap). */
  maxParticipants: number;
  /** Proof-of-work on the token endpoint, in hash attempts at most (0 = none). */
  challengeDifficulty: number;
}

/** What the result endpoint reports about a user's reservation in an activity. */
export type ReservationStatus = 'NONE' | 'QUEUED' | 'CREATED' | 'CANCELLED' | 'FAILED';

export interface ReservationResult {
  status: ReservationStatus;
  reservationId?: string;
  orderId?: string;
}
