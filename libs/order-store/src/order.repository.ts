import { Inject, Injectable, Optional } from '@nestjs/common';
import { AppConfig, LiveStats, ORDER_SHARD_DBS, Prisma, PrismaClient } from '@seckill/platform';
import { OrderRow, OrderState } from './order-record';
import { ShardLocation, ShardRouter } from './shard-router';

const COLUMNS = Prisma.raw(
  'id, reservation_id, activity_id, user_id, price_cents, status, created_at, expires_at, paid_at, cancelled_at',
);

export interface StatusCounts {
  pendingPayment: number;
  paid: number;
  cancelled: number;
}

/**
 * The only code that touches the order shard tables. Every statement names its table through the router
 * (Prisma.raw of a router-built name, never of input) and binds every value.
 */
@Injectable()
export class OrderRepository {
  readonly router: ShardRouter;

  constructor(
    config: AppConfig,
    @Inject(ORDER_SHARD_DBS) private readonly shards: PrismaClient[],
    @Optional() private readonly stats?: LiveStats,
  ) {
    this.router = new ShardRouter(shards.length, config.ORDER_SHARD_TABLES);
  }

  private db(at: ShardLocation): PrismaClient {
    return this.shards[at.database];
  }

  /** The Prisma client of one shard database (for OrderWriter's batched statements). */
  shardClient(database: number): PrismaClient {
    return this.shards[database];
  }

  /** Orders of one table by reservation id (the rows a batch wrote, or found already there). */
  async findByReservations(at: ShardLocation, reservationIds: string[]): Promise<OrderRow[]> {
    if (reservationIds.length === 0) return [];
    return this.db(at).$queryRaw<OrderRow[]>`
      SELECT ${COLUMNS} FROM ${Prisma.raw(at.tableName)} WHERE reservation_id IN (${Prisma.join(reservationIds)})`;
  }

  async findByReservation(userId: bigint, reservationId: string): Promise<OrderRow | null> {
    const at = this.router.forUser(userId);
    const rows = await this.db(at).$queryRaw<OrderRow[]>`
      SELECT ${COLUMNS} FROM ${Prisma.raw(at.tableName)} WHERE reservation_id = ${reservationId}`;
    return rows[0] ?? null;
  }

  /** A user's latest order of an activity, from the user's one table (null when none). */
  async latestOfActivity(userId: bigint, activityId: number): Promise<OrderRow | null> {
    const at = this.router.forUser(userId);
    const rows = await this.db(at).$queryRaw<OrderRow[]>`
      SELECT ${COLUMNS} FROM ${Prisma.raw(at.tableName)} WHERE user_id = ${userId} AND activity_id = ${activityId}
      ORDER BY id DESC LIMIT 1`;
    return rows[0] ?? null;
  }

  /** One table, found from the id itself. */
  async findById(orderId: bigint): Promise<OrderRow | null> {
    const at = this.router.forOrderId(orderId);
    const rows = await this.db(at).$queryRaw<OrderRow[]>`
      SELECT ${COLUMNS} FROM ${Prisma.raw(at.tableName)} WHERE id = ${orderId}`;
    return rows[0] ?? null;
  }

  /** A user's orders, newest first, from the user's one table; `before` is the cursor (an order id). */
  async listByUser(userId: bigint, limit: number, before?: bigint): Promise<OrderRow[]> {
    const at = this.router.forUser(userId);
    const table = Prisma.raw(at.tableName);
    return before === undefined
      ? this.db(at).$queryRaw<OrderRow[]>`
          SELECT ${COLUMNS} FROM ${table} WHERE user_id = ${userId} ORDER BY id DESC LIMIT ${limit}`
      : this.db(at).$queryRaw<OrderRow[]>`
          SELECT ${COLUMNS} FROM ${table} WHERE user_id = ${userId} AND id < ${before} ORDER BY id DESC LIMIT ${limit}`;
  }

  /**
   * Moves an order PENDING_PAYMENT → CANCELLED or PAID in one conditional UPDATE, so a cancel and a payment racing
   * for the same order cannot both win. `dueBy` (for timeouts) also requires expires_at <= dueBy.
   * Returns true for the caller that made the change.
   */
  async transition(orderId: bigint, to: Exclude<OrderState, 'PENDING_PAYMENT'>, at: Date, dueBy?: Date): Promise<boolean> {
    const where = this.router.forOrderId(orderId);
    const table = Prisma.raw(where.tableName);
    const due = dueBy ? Prisma.sql`AND expires_at <= ${dueBy}` : Prisma.empty;
    const changed =
      to === 'CANCELLED'
        ? await this.db(where).$executeRaw`
            UPDATE ${table} SET status = 'CANCELLED', live = NULL, cancelled_at = ${at}
            WHERE id = ${orderId} AND status = 'PENDING_PAYMENT' ${due}`
        : await this.db(where).$executeRaw`
            UPDATE ${table} SET status = 'PAID', paid_at = ${at}
            WHERE id = ${orderId} AND status = 'PENDING_PAYMENT' ${due}`;
    if (changed === 1 && this.stats) {
      // Live stats per activity, counted where the change is made, whichever service makes it (a primary-key read).
      const rows = await this.db(where).$queryRaw<Array<{ activity_id: number }>>`
        SELECT activity_id FROM ${table} WHERE id = ${orderId}`;
      if (rows[0]) this.stats.addForActivity(rows[0].activity_id, to === 'PAID' ? 'paid' : 'cancelled');
    }
    return changed === 1;
  }

  /**
   * The timeouts' batched cancel, for orders of one activity: one conditional UPDATE per table (PENDING_PAYMENT and
   * expired by `now` → CANCELLED, every table in parallel), so a payment racing it either wins (PAID, left alone) or
   * loses (its own conditional UPDATE changes nothing); then one read per table of the same ids, which is what the
   * caller releases from: every order of the batch now CANCELLED, whoever cancelled it and whenever. Releasing by
   * state rather than by "my UPDATE changed it" is what makes a crash between the UPDATE and the release harmless:
   * the retried batch's UPDATE changes nothing, its read finds the orders CANCELLED and the release (idempotent per
   * reservation) returns exactly the units not yet returned.
   * @returns how many orders this call cancelled, and the batch's orders as they are afterwards
   */
  async cancelExpired(activityId: number, orderIds: bigint[], now: Date): Promise<{ cancelled: number; rows: OrderRow[] }> {
    const byTable = new Map<string, { at: ShardLocation; ids: bigint[] }>();
    for (const id of orderIds) {
      const at = this.router.forOrderId(id);
      const key = `${at.database}/${at.tableName}`;
      const entry = byTable.get(key);
      if (entry) entry.ids.push(id);
      else byTable.set(key, { at, ids: [id] });
    }
    const parts = await Promise.all(
      [...byTable.values()].map(async ({ at, ids }) => {
        const table = Prisma.raw(at.tableName);
        const changed = await this.db(at).$executeRaw`
          UPDATE ${table} SET status = 'CANCELLED', live = NULL, cancelled_at = ${now}
          WHERE id IN (${Prisma.join(ids)}) AND status = 'PENDING_PAYMENT' AND expires_at <= ${now}`;
        const rows = await this.db(at).$queryRaw<OrderRow[]>`
          SELECT ${COLUMNS} FROM ${table} WHERE id IN (${Prisma.join(ids)})`;
        return { changed, rows };
      }),
    );
    const cancelled = parts.reduce((sum, part) => sum + part.changed, 0);
    this.stats?.addForActivity(activityId, 'cancelled', cancelled);
    return { cancelled, rows: parts.flatMap((part) => part.rows) };
  }

  /** Orders of an activity by status, over every table of every shard (scatter-gather). */
  async countByActivity(activityId: number): Promise<StatusCounts> {
    const counts: StatusCounts = { pendingPayment: 0, paid: 0, cancelled: 0 };
    const parts = await Promise.all(
      this.router.all().map((at) =>
        this.db(at).$queryRaw<Array<{ status: OrderState; n: bigint }>>`
          SELECT status, COUNT(*) AS n FROM ${Prisma.raw(at.tableName)} WHERE activity_id = ${activityId} GROUP BY status`,
      ),
    );
    for (const row of parts.flat()) {
      const n = Number(row.n);
      if (row.status === 'PENDING_PAYMENT') counts.pendingPayment += n;
      else if (row.status === 'PAID') counts.paid += n;
      else counts.cancelled += n;
    }
    return counts;
  }

  /** The orders of an activity in the given states, over every table of every shard (reconciliation). */
  async listByActivity(activityId: number, states: readonly OrderState[]): Promise<OrderRow[]> {
    if (states.length === 0) return [];
    const parts = await Promise.all(
      this.router.all().map((at) =>
        this.db(at).$queryRaw<OrderRow[]>`
          SELECT ${COLUMNS} FROM ${Prisma.raw(at.tableName)} WHERE activity_id = ${activityId} AND status IN (${Prisma.join([...states])})`,
      ),
    );
    return parts.flat();
  }

  /**
   * Every order (optionally of one activity), newest first, across all tables: each table returns its newest
   * `limit` below the cursor and the merge keeps the overall newest `limit`.
   */
  async listAll(limit: number, before?: bigint, activityId?: number): Promise<OrderRow[]> {
    const cursor = before === undefined ? Prisma.empty : Prisma.sql`AND id < ${before}`;
    const activity = activityId === undefined ? Prisma.empty : Prisma.sql`AND activity_id = ${activityId}`;
    const parts = await Promise.all(
      this.router.all().map((at) =>
        this.db(at).$queryRaw<OrderRow[]>`
          SELECT ${COLUMNS} FROM ${Prisma.raw(at.tableName)} WHERE 1 = 1 ${cursor} ${activity} ORDER BY id DESC LIMIT ${limit}`,
      ),
    );
    return parts
      .flat()
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit);
  }
}
