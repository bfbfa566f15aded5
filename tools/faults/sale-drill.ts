import assert from 'node:assert/strict';
import { ActivityView, ReservationResult } from '@seckill/contracts';
import { OrderRow } from '@seckill/order-store';
import { mintToken, sleep } from '@seckill/testing';
import { DrillStack } from './drill-stack';

// The sale every drill runs, and the invariants every drill checks once it is over. A shopper behaves as a patient
// client would: asks for a purchase token, buys, and on a network error, a timeout or a 5xx/503/429 tries again a
// little later (honouring Retry-After), until the sale gives a final answer (202, sold out, already purchased).

/** One HTTP answer: the status (0 for a network error or timeout) and the JSON body. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  /** The network error's code (ECONNREFUSED, ECONNRESET, TimeoutError…) when status is 0. */
  error?: string;
}

/** fetch() with a JSON body, a Bearer token and a timeout; a network error or timeout is status 0, not a throw. */
export async function request<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; body?: unknown; token?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    const response = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { text: text.slice(0, 200) };
    }
    return { status: response.status, body: body as T, headers: response.headers };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: 0, body: {} as T, headers: new Headers(), error: cause?.code ?? (error as Error).name };
  }
}

/** "202", "410 SOLD_OUT", "0 ECONNREFUSED": how answers are tallied. */
function label(answer: Answer): string {
  if (answer.status === 0) return `network ${answer.error}`;
  const code = (answer.body as { code?: unknown }).code;
  return typeof code === 'string' ? `${answer.status} ${code}` : String(answer.status);
}

/** How long to wait before trying again after an answer that is not final. */
function backoff(answer: Answer, attempt: number): number {
  const retryAfter = Number(answer.headers.get('retry-after'));
  const base = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 5) * 1000 : 250 * 2 ** Math.min(attempt, 3);
  return base / 2 + Math.random() * base;
}

export interface SaleOptions {
  units: number;
  shoppers: number;
  /** Shoppers arriving per second: the sale lasts about shoppers / arrivalsPerSecond seconds. */
  arrivalsPerSecond: number;
  stockShards?: number;
  priceCents?: number;
  paymentTimeoutSeconds?: number;
  /** How long a shopper keeps trying before giving up. */
  patienceMs?: number;
}

/**
 * A unit a shopper holds: from a 202, or learned after an attempt whose answer never reached them (from
 * ALREADY_PURCHASED on a retry, or from the result endpoint).
 */
export interface Accepted {
  user: number;
  reservationId: string;
  /** When the shopper learned it (ms since epoch). */
  at: number;
  via: '202' | 'retry';
}

/** Reconciliation's line for a reservation lost with Redis' data (the only mismatch a drill may expect). */
const LOST_LINE = /was lost with Redis' data/;

/** The first user id of a drill's shoppers (admin's tokens use user 1). */
const FIRST_USER = 100_000;

/** A sale of a drill: an activity created on admin, and its shoppers. */
export class Sale {
  /** Units held by shoppers, by user. */
  readonly accepted = new Map<number, Accepted>();
  /** Every answer a shopper got, tallied by status and code. */
  readonly answers = new Map<string, number>();
  /** Shoppers that gave up without a final answer. */
  readonly gaveUp: number[] = [];
  readonly users: number[];
  private running: Promise<void> | undefined;

  private constructor(
    private readonly stack: DrillStack,
    readonly activityId: number,
    readonly options: SaleOptions,
  ) {
    this.users = Array.from({ length: options.shoppers }, (_, i) => FIRST_USER + i);
  }

  /** Creates the activity on admin, prewarms it and waits for its start. */
  static async open(stack: DrillStack, options: SaleOptions): Promise<Sale> {
    const now = Date.now();
    const startAt = now + 3000;
    const created = await request<ActivityView>(`${stack.url('admin')}/api/admin/activities`, {
      token: adminToken(stack),
      body: {
        title: `drill ${stack.name}`,
        priceCents: options.priceCents ?? 1990,
        stock: options.units,
        stockShards: options.stockShards ?? 2,
        startAt: new Date(startAt).toISOString(),
        endAt: new Date(now + 3600_000).toISOString(),
        paymentTimeoutSeconds: options.paymentTimeoutSeconds ?? 3600,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const prewarm = await request(`${stack.url('admin')}/api/admin/activities/${id}/prewarm`, { method: 'POST', token: adminToken(stack) });
    assert.equal(prewarm.status, 200, JSON.stringify(prewarm.body));
    await sleep(Math.max(0, startAt + 100 - Date.now()));
    return new Sale(stack, id, options);
  }

  /** Lets the shoppers in, paced at arrivalsPerSecond; finished() resolves once each has a final answer or gave up. */
  start(): this {
    const started = Date.now();
    const gap = 1000 / this.options.arrivalsPerSecond;
    this.running = Promise.all(
      this.users.map(async (user, index) => {
        await sleep(Math.max(0, started + index * gap - Date.now()));
        await this.shop(user);
      }),
    ).then(() => undefined);
    return this;
  }

  async finished(): Promise<void> {
    await this.running;
  }

  /** Waits until `count` units are held by shoppers (202s seen, or learned on retry). */
  async untilAccepted(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted.size < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.accepted.size} of ${count} units sold after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** Answers tallied, most frequent first: "202 ×60, 410 SOLD_OUT ×230, network ECONNREFUSED ×12". */
  tally(): string {
    return [...this.answers]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ×${n}`)
      .join(', ');
  }

  /** Answers 500 or above (a dependency down must answer 503, never 500). */
  serverErrors(): string[] {
    return [...this.answers].filter(([key]) => /^5\d\d/.test(key) && !key.startsWith('503')).map(([key, n]) => `${key} ×${n}`);
  }

  private count(answer: Answer): void {
    const key = label(answer);
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
  }

  private async shop(user: number): Promise<void> {
    const base = `${this.stack.url('seckill')}/api/activities/${this.activityId}`;
    const token = mintToken(this.stack.config, user);
    const deadline = Date.now() + (this.options.patienceMs ?? 120_000);
    let uncertain = false;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const issued = await request<{ token: string }>(`${base}/token`, { method: 'POST', token });
      let answer: Answer = issued;
      if (issued.status === 200) {
        answer = await request(`${base}/purchase`, { token, body: { token: issued.body.token } });
      }
      this.count(answer);
      const code = (answer.body as { code?: string }).code;
      if (answer.status === 202) {
        this.accepted.set(user, { user, reservationId: String(answer.body.reservationId), at: Date.now(), via: '202' });
        return;
      }
      if (code === 'ALREADY_PURCHASED') {
        // An earlier attempt was reserved but its 202 never arrived (the connection was cut).
        this.accepted.set(user, { user, reservationId: String(answer.body.reservationId), at: Date.now(), via: 'retry' });
        return;
      }
      if (code === 'SOLD_OUT' || code === 'ENDED') {
        // An attempt that got no answer may have been reserved all the same: a client asks for its result.
        if (uncertain) await this.checkResult(user, token);
        return;
      }
      if (answer.status === 0 || answer.status >= 500) uncertain = true;
      await sleep(backoff(answer, attempt));
    }
    if (uncertain) await this.checkResult(user, token);
    if (!this.accepted.has(user)) this.gaveUp.push(user);
  }

  /** Learns from the result endpoint whether an attempt whose answer was lost reserved a unit. */
  private async checkResult(user: number, token: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const result = await request<ReservationResult>(`${this.stack.url('seckill')}/api/activities/${this.activityId}/result`, { token });
      if (result.status === 200) {
        if (result.body.reservationId) {
          this.accepted.set(user, { user, reservationId: result.body.reservationId, at: Date.now(), via: 'retry' });
        }
        return;
      }
      await sleep(500);
    }
  }
}

/** An admin's access token for the drill's services. */
export function adminToken(stack: DrillStack): string {
  return mintToken(stack.config, 1, 'admin');
}

/** The orders of the sale's activity in every state, over every shard. */
export function allOrders(stack: DrillStack, sale: Sale): Promise<OrderRow[]> {
  return stack.orders.listByActivity(sale.activityId, ['PENDING_PAYMENT', 'PAID', 'CANCELLED']);
}

/** Waits until each unit held by a shopper has its order in MySQL (or is among `lost`); returns the orders. */
export async function drained(stack: DrillStack, sale: Sale, timeoutMs = 120_000, lost: ReadonlySet<string> = new Set()): Promise<OrderRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const orders = await allOrders(stack, sale);
    const made = new Set(orders.map((order) => order.reservation_id));
    const missing = [...sale.accepted.values()].filter((a) => !made.has(a.reservationId) && !lost.has(a.reservationId));
    if (missing.length === 0) return orders;
    if (Date.now() > deadline) {
      throw new Error(`after ${timeoutMs} ms, ${missing.length} accepted reservation(s) have no order: ${missing.slice(0, 5).map((a) => a.reservationId).join(', ')}`);
    }
    await sleep(500);
  }
}

export interface VerifyOptions {
  /** Reservations the system reported lost (the Redis flush drill): accepted, never to become orders. */
  lost?: ReadonlySet<string>;
  /** The lost reservations reconciliation must name (by default `lost`; none once Redis lost its data again). */
  reconciliationLost?: ReadonlySet<string>;
  /** How long the orders may take to appear. */
  drainTimeoutMs?: number;
}

/**
 * Checks every invariant once the sale is over and its orders are drained, failing the drill on the first one broken,
 * and prints one line per invariant with the numbers it checked: no oversell; one unit per user; every unit a shopper
 * was promised became an order (or was reported lost); remaining + held = stock in Redis and in MySQL; a payment
 * changes an order once; reconciliation consistent; no answer of 500 or above.
 */
export async function verifyInvariants(stack: DrillStack, sale: Sale, options: VerifyOptions = {}): Promise<void> {
  const lost = options.lost ?? new Set<string>();
  const units = sale.options.units;
  const orders = await drained(stack, sale, options.drainTimeoutMs, lost);
  const live = orders.filter((order) => order.status !== 'CANCELLED');
  const accepted = [...sale.accepted.values()];

  // No oversell, in MySQL and in Redis.
  const holders = await stack.redis.hgetall(stack.stock.keysFor(sale.activityId, 1).holders);
  const held = Object.keys(holders).length;
  assert.ok(live.length <= units, `oversold: ${live.length} live orders for ${units} units`);
  assert.ok(held <= units, `oversold in Redis: ${held} holders for ${units} units`);
  stack.log(`verified: no oversell: ${live.length} live orders ≤ ${units} units; ${held} holders in Redis`);

  // One unit per user: one live order each, and Redis holds a unit for exactly the users with a live order.
  const liveUsers = new Set(live.map((order) => String(order.user_id)));
  assert.equal(liveUsers.size, live.length, 'a user holds two live orders');
  const strangers = live.filter((order) => !sale.users.includes(Number(order.user_id)));
  assert.deepEqual(strangers.map((o) => String(o.id)), [], 'orders of users who never shopped');
  assert.deepEqual(Object.keys(holders).sort(), [...liveUsers].sort(), 'Redis holders differ from the users with live orders');
  stack.log(`verified: one unit per user: ${live.length} live orders of ${liveUsers.size} distinct shoppers, the same users hold units in Redis`);

  // Every 202 became an order (one, with that reservation), visible to its shopper.
  const byReservation = new Map(orders.map((order) => [order.reservation_id, order]));
  const unseen = live.filter((order) => !accepted.some((a) => a.reservationId === order.reservation_id));
  for (const promise of accepted) {
    if (lost.has(promise.reservationId)) continue;
    const order = byReservation.get(promise.reservationId);
    assert.ok(order, `user ${promise.user}'s reservation ${promise.reservationId} has no order`);
    assert.equal(String(order.user_id), String(promise.user), `reservation ${promise.reservationId} ordered for another user`);
    const result = await request<ReservationResult>(`${stack.url('seckill')}/api/activities/${sale.activityId}/result`, {
      token: mintToken(stack.config, promise.user),
    });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.body.orderId, String(order.id), `user ${promise.user}'s result: ${JSON.stringify(result.body)}`);
  }
  const seen = accepted.filter((a) => a.via === '202').length;
  const retried = accepted.length - seen;
  stack.log(
    `verified: every 202 became an order: ${accepted.length - lost.size} of ${accepted.length} accepted ` +
      `(${seen} answered 202, ${retried} learned on retry or from /result after a lost answer)` +
      (lost.size > 0 ? `, ${lost.size} reported lost` : '') +
      `, each visible to its shopper at /result; ${unseen.length} order(s) of reservations whose 202 never reached a shopper`,
  );

  // Conservation: remaining + held = stock in Redis, and stock − live orders = remaining against MySQL.
  const remaining = await stack.stock.remaining(sale.activityId, sale.options.stockShards ?? 2);
  assert.notEqual(remaining, null, 'the activity is not in Redis');
  assert.equal((remaining ?? 0) + held, units, `Redis: remaining ${remaining} + held ${held} ≠ stock ${units}`);
  assert.equal(units - live.length, remaining, `MySQL: stock ${units} − ${live.length} live orders ≠ Redis remaining ${remaining}`);
  stack.log(`verified: conservation: Redis ${remaining} remaining + ${held} held = ${units}; MySQL ${units} − ${live.length} live orders = ${remaining}`);

  // A payment changes an order once: one succeeded payment per PAID order, none for any other.
  const payments = await stack.payments.listByActivity(sale.activityId);
  const succeeded = payments.filter((p) => p.status === 'SUCCEEDED');
  const perOrder = new Map<string, number>();
  for (const payment of succeeded) perOrder.set(String(payment.orderId), (perOrder.get(String(payment.orderId)) ?? 0) + 1);
  const twice = [...perOrder].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'orders with more than one succeeded payment');
  const paid = orders.filter((order) => order.status === 'PAID');
  for (const order of paid) assert.equal(perOrder.get(String(order.id)), 1, `PAID order ${order.id} without one succeeded payment`);
  const paidIds = new Set(paid.map((order) => String(order.id)));
  for (const [orderId] of perOrder) assert.ok(paidIds.has(orderId), `succeeded payment of order ${orderId}, which is not PAID`);
  stack.log(`verified: a payment changes an order once: ${paid.length} PAID orders, each with exactly one of ${succeeded.length} succeeded payments (${payments.length} payments in all)`);

  // Reconciliation (admin): Redis, MySQL and the provider's ledger agree, but for the reservations reported lost. A
  // point-in-time check: a payment being settled that very moment may show for a second, so it is asked again before
  // it fails the drill.
  type Report = { consistent: boolean; mismatches: string[]; lost?: Array<{ reservationId: string }> };
  const expectedLost = [...(options.reconciliationLost ?? lost)].sort();
  const agrees = (body: Report) =>
    JSON.stringify((body.lost ?? []).map((entry) => entry.reservationId).sort()) === JSON.stringify(expectedLost) &&
    body.mismatches.every((line) => LOST_LINE.test(line));
  let report: Answer<Report> | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    report = await request<Report>(`${stack.url('admin')}/api/admin/reconciliation?activityId=${sale.activityId}`, { token: adminToken(stack) });
    if (report.status === 200 && agrees(report.body)) break;
    await sleep(1000);
  }
  assert.equal(report?.status, 200, JSON.stringify(report?.body));
  assert.ok(report && agrees(report.body), `reconciliation: ${JSON.stringify(report?.body)}`);
  stack.log(
    expectedLost.length === 0
      ? 'verified: reconciliation consistent (admin: Redis ↔ MySQL ↔ provider ledger, no mismatch)'
      : `verified: reconciliation agrees but for the ${expectedLost.length} lost reservation(s) it names, and nothing else`,
  );

  // Degrade, never fail: a dependency that is down answers 503 with Retry-After, never 500.
  const fives = sale.serverErrors();
  assert.deepEqual(fives, [], 'answers of 500 or above: a dependency down must answer 503');
  stack.log(`verified: degrade, never fail: no answer of 500 or above among ${[...sale.answers.values()].reduce((a, b) => a + b, 0)} answers`);

  // A job whose every reservation Redis lost (a flush) fails for good, kept for an operator ("unknown to Redis"):
  // accepted only when each of its reservations is one the system reported lost.
  const failedJobs = await stack.orderCreateQueue.getFailed(0, -1);
  const unexplained = failedJobs.filter((job) => !job.data.reservations.every((r) => lost.has(r.reservationId)));
  if (unexplained.length > 0) {
    const reasons = unexplained.slice(0, 4).map((job) => `${job.id} (${job.attemptsMade} attempts): ${job.failedReason}`).join('; ');
    assert.fail(`${unexplained.length} order-create job(s) failed for good: ${reasons}`);
  }
  if (failedJobs.length > 0) {
    stack.log(`verified: the ${failedJobs.length} order-create job(s) failed for good hold only reservations reported lost`);
  }
  const casualties = stack.casualties();
  assert.deepEqual(casualties, [], 'services died on their own');
}

/** Pays the given orders through the payment service, each with its own Idempotency-Key, retrying until it is PAID. */
export async function payOrders(
  stack: DrillStack,
  orders: Array<Pick<OrderRow, 'id' | 'user_id'>>,
  options: { timeoutMs?: number; tally?: Map<string, number> } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  await Promise.all(
    orders.map(async (order) => {
      const token = mintToken(stack.config, String(order.user_id));
      for (let attempt = 0; ; attempt++) {
        const answer = await request(`${stack.url('payment')}/api/payments`, {
          token,
          body: { orderId: String(order.id) },
          headers: { 'idempotency-key': `drill-${order.id}` },
        });
        const key = label(answer);
        options.tally?.set(key, (options.tally.get(key) ?? 0) + 1);
        if ((answer.status === 200 || answer.status === 201) && answer.body.status === 'SUCCEEDED') return;
        if (Date.now() > deadline) throw new Error(`order ${order.id} not paid: ${key} ${JSON.stringify(answer.body)}`);
        await sleep(backoff(answer, attempt));
      }
    }),
  );
}

/** Ms since `since`, as "2.3 s". */
export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
