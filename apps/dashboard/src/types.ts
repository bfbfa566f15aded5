/** The admin API's answers, as the dashboard reads them. */

export type ActivityStatus = 'UPCOMING' | 'ACTIVE' | 'SOLD_OUT' | 'ENDED';

export interface Activity {
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

export interface ActivityStats {
  id: number;
  title: string;
  status: ActivityStatus;
  startAt: string;
  endAt: string;
  stock: number;
  remaining: number;
  reserved: number;
  ordersCreated: number;
  ordersPaid: number;
  ordersCancelled: number;
}

export interface PlanState {
  name: string;
  auto: boolean;
  activityId?: number;
  at: string;
  by: string;
}

export type SwitchValue = boolean | number | string;

export interface Stats {
  at: string;
  activities: ActivityStats[];
  requestsPerSecond: number;
  purchases: { perSecond: number; acceptedPerSecond: number; p99Ms: number | null; totals: Record<string, number> };
  rejections: { perSecond: Record<string, number>; totals: Record<string, number> };
  queues: Record<string, { waiting: number; active: number; delayed: number; failed: number }>;
  relay: { backlog: number };
  breaker: { state: string; instances: Array<{ instance: string; state: string }> } | null;
  switches: Record<string, SwitchValue>;
  plan: PlanState | null;
  series: Array<{ at: number; requests: number; purchases: number; accepted: number; rejected: number }>;
}

export type SwitchDefinition =
  | { type: 'boolean'; default: boolean; description: string }
  | { type: 'integer'; default: number; min: number; max: number; description: string }
  | { type: 'enum'; default: string; values: readonly string[]; description: string };

export interface PlanDefinition {
  name: string;
  title: string;
  description: string;
  switches: Record<string, SwitchValue>;
}

export interface Reconciliation {
  consistent: boolean;
  activityId: number;
  stock: number;
  remaining: number;
  reserved: number;
  orders: { pendingPayment: number; paid: number; cancelled: number };
  payments: { succeeded: number };
  inFlight: number;
  mismatches: string[];
}

export interface FailedJob {
  id: string;
  queue: string;
  data: unknown;
  reason: string;
  attemptsMade: number;
  failedAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}
