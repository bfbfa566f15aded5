/** The API's `order` (docs/api.md): ids as decimal strings, times as ISO-8601. */
export interface OrderView {
  id: string;
  activityId: number;
  userId: string;
  priceCents: number;
  status: OrderState;
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  cancelledAt: string | null;
}

export type OrderState = 'PENDING_PAYMENT' | 'PAID' | 'CANCELLED';

/** An order row as read from its shard table. */
export interface OrderRow {
  id: bigint;
  reservation_id: string;
  activity_id: number;
  user_id: bigint;
  price_cents: number;
  status: OrderState;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
  cancelled_at: Date | null;
}

export interface NewOrder {
  id: bigint;
  reservationId: string;
  activityId: number;
  userId: bigint;
  priceCents: number;
  createdAt: Date;
  expiresAt: Date;
}

export function toOrderView(row: OrderRow): OrderView {
  return {
    id: String(row.id),
    activityId: Number(row.activity_id),
    userId: String(row.user_id),
    priceCents: Number(row.price_cents),
    status: row.status,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    paidAt: row.paid_at ? row.paid_at.toISOString() : null,
    cancelledAt: row.cancelled_at ? row.cancelled_at.toISOString() : null,
  };
}
