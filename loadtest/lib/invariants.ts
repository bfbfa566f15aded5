import { createConnection } from 'mariadb';
import { AppConfig, poolConfigFromUrl } from '@seckill/platform';
import { AdminApi, Reconciliation } from './stack';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface OrderRow {
  id: string;
  userId: string;
  status: string;
  createdAt: Date;
}

/** Every order of an activity, read from every orders_* table of every order shard (the stack's own MySQL). */
export async function ordersOf(config: AppConfig, activityId: number): Promise<OrderRow[]> {
  const rows: OrderRow[] = [];
  for (const url of config.ORDER_SHARD_URLS) {
    const options = poolConfigFromUrl(url, 1);
    const connection = await createConnection({ ...options, connectTimeout: 5000, bigIntAsNumber: false });
    try {
      const tables = (await connection.query(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE 'orders\\_%'",
        [options.database],
      )) as Array<{ name: string }>;
      for (const { name } of tables) {
        const found = (await connection.query(
          `SELECT CAST(id AS CHAR) AS id, user_id AS userId, status, created_at AS createdAt FROM \`${name.replace(/`/g, '``')}\` WHERE activity_id = ?`,
          [activityId],
        )) as Array<{ id: string; userId: bigint | number | string; status: string; createdAt: Date }>;
        for (const row of found) rows.push({ ...row, userId: String(row.userId) });
      }
    } finally {
      await connection.end();
    }
  }
  return rows;
}

/**
 * Where the orders of an activity are read: MySQL directly (every orders_* table of every shard) when this machine
 * can reach it, else the admin API's `GET /api/admin/orders?activityId=` (merged across shards by the admin service),
 * as behind the compose gateway, where MariaDB is not published.
 */
export class OrderReader {
  private constructor(
    private readonly config: AppConfig,
    private readonly admin: AdminApi,
    readonly source: 'MySQL' | 'admin API',
    readonly why: string,
  ) {}

  static async open(config: AppConfig, admin: AdminApi): Promise<OrderReader> {
    try {
      await withRetries(async () => {
        const connection = await createConnection({ ...poolConfigFromUrl(config.ORDER_SHARD_URLS[0], 1), connectTimeout: 3000 });
        await connection.end();
      });
      return new OrderReader(config, admin, 'MySQL', 'the order shards, read directly');
    } catch (error) {
      return new OrderReader(config, admin, 'admin API', `MySQL not reachable from here (${(error as Error).message.split('\n')[0]}): orders read through GET /api/admin/orders`);
    }
  }

  async orders(activityId: number): Promise<OrderRow[]> {
    // A shared MariaDB may refuse a connection for a moment (too many connections): tried again before failing.
    if (this.source === 'MySQL') return withRetries(() => ordersOf(this.config, activityId));
    const rows: OrderRow[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string; userId: string; status: string; createdAt: string }>; nextCursor: string | null } = await this.admin.orders(activityId, cursor);
      for (const item of page.items) rows.push({ id: item.id, userId: item.userId, status: item.status, createdAt: new Date(item.createdAt) });
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  }
}

/** `attempt`, tried up to 4 times a second apart (a refused connection that is not there a moment later). */
async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export interface DrainResult {
  /** Time from the last accepted purchase until MySQL held an order for each (ms); undefined when it never did. */
  drainMs: number | undefined;
  orders: OrderRow[];
  /** Orders per second: orders / (last created_at − first created_at). */
  ordersPerSecond: number | undefined;
}

/**
 * Waits until every accepted purchase is an order in MySQL (the relay and the order service drained them), polling
 * the orders tables; gives up after `timeoutMs`.
 */
export async function waitForDrain(reader: OrderReader, activityId: number, accepted: number, lastAcceptedAt: number, timeoutMs: number): Promise<DrainResult> {
  const deadline = Date.now() + timeoutMs;
  let orders = await reader.orders(activityId);
  while (orders.length < accepted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    orders = await reader.orders(activityId);
  }
  const drained = orders.length >= accepted;
  const times = orders.map((order) => order.createdAt.getTime()).sort((a, b) => a - b);
  const span = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : undefined;
  return {
    drainMs: drained ? Math.max(0, (times[times.length - 1] ?? lastAcceptedAt) - lastAcceptedAt) : undefined,
    orders,
    ordersPerSecond: span && span > 0 ? times.length / span : undefined,
  };
}

/** Reconciliation, asked again while orders are still on their way (it is a point-in-time check). */
export async function settledReconciliation(admin: AdminApi, activityId: number, timeoutMs = 15_000): Promise<Reconciliation> {
  const deadline = Date.now() + timeoutMs;
  let report = await admin.reconciliation(activityId);
  while ((!report.consistent || report.inFlight > 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    report = await admin.reconciliation(activityId);
  }
  return report;
}

export interface InvariantInput {
  stock: number;
  /** Users answered 202 (or ALREADY_PURCHASED, which says an earlier attempt of theirs was accepted). */
  winners: Set<string>;
  orders: OrderRow[];
  reconciliation: Reconciliation;
  /** Status counts of every request of the run(s) against this activity. */
  statuses: Record<string, Record<string, number>>;
  /** Whether payments have been made (orders may then be PAID; cancelled orders may be refunded). */
}

/**
 * The invariants of a sale, from the load generator's answers, MySQL and the admin API's reconciliation:
 * no oversell, one order per user, every 202 became an order (and no order without a 202), stock conserved,
 * reconciliation consistent, and no 5xx answer.
 */
export function checkInvariants(input: InvariantInput): Check[] {
  const { stock, winners, orders, reconciliation: rec } = input;
  const live = orders.filter((order) => order.status !== 'CANCELLED');
  const checks: Check[] = [];
  checks.push({
    name: 'no oversell',
    ok: winners.size <= stock && live.length <= stock && rec.remaining >= 0,
    detail: `${winners.size} accepted, ${live.length} live orders, stock ${stock}, Redis remaining ${rec.remaining}`,
  });
  const perUser = new Map<string, number>();
  for (const order of live) perUser.set(order.userId, (perUser.get(order.userId) ?? 0) + 1);
  const twice = [...perUser].filter(([, n]) => n > 1);
  checks.push({
    name: 'one per user',
    ok: twice.length === 0,
    detail: twice.length === 0 ? `${perUser.size} users, one live order each` : `users with more than one live order: ${twice.slice(0, 10).map(([user, n]) => `${user}×${n}`).join(', ')}`,
  });
  const ordered = new Set(orders.map((order) => order.userId));
  const missing = [...winners].filter((user) => !ordered.has(user));
  const unexpected = [...ordered].filter((user) => !winners.has(user));
  checks.push({
    name: 'every 202 became an order',
    ok: missing.length === 0 && unexpected.length === 0,
    detail:
      missing.length === 0 && unexpected.length === 0
        ? `${winners.size} accepted, ${orders.length} orders`
        : `${missing.length} accepted without an order (${missing.slice(0, 5).join(', ')}), ${unexpected.length} orders of users never answered 202 (${unexpected.slice(0, 5).join(', ')})`,
  });
  checks.push({
    name: 'conservation',
    ok: rec.remaining + rec.reserved === stock && rec.remaining + live.length === stock,
    detail: `Redis remaining ${rec.remaining} + held ${rec.reserved} = ${rec.remaining + rec.reserved}; remaining + live orders ${live.length} = ${rec.remaining + live.length}; stock ${stock}`,
  });
  checks.push({
    name: 'reconciliation consistent',
    ok: rec.consistent && rec.mismatches.length === 0,
    detail: rec.consistent ? `consistent (orders ${JSON.stringify(rec.orders)}, in flight ${rec.inFlight})` : rec.mismatches.slice(0, 5).join('; '),
  });
  let fiveHundreds = 0;
  for (const byStatus of Object.values(input.statuses)) for (const [status, n] of Object.entries(byStatus)) if (Number(status) >= 500 && status !== '503') fiveHundreds += n;
  checks.push({ name: 'no 5xx (503 BUSY/DEGRADED aside)', ok: fiveHundreds === 0, detail: `${fiveHundreds} answers 500-599 other than 503` });
  return checks;
}
