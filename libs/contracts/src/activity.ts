/** An activity's state as shoppers see it. */
export type ActivityStatus = 'UPCOMING' | 'ACTIVE' | 'SOLD_OUT' | 'ENDED';

/** The `activity` of shared/API.md. */
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
}

/** What the result endpoint reports about a user's reservation in an activity. */
export type ReservationStatus = 'NONE' | 'QUEUED' | 'CREATED' | 'CANCELLED' | 'FAILED';

export interface ReservationResult {
  status: ReservationStatus;
  reservationId?: string;
  orderId?: string;
}
