import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ActivityRecord } from '@seckill/activities';
import { ReservationResult } from '@seckill/contracts';
import { clientAddressKey, IpMatcher, KeyedRateLimiter, shouldShed, SwitchesService, TokenBucket } from '@seckill/flow-control';
import { AppConfig, DomainError, Principal } from '@seckill/platform';
import { OrderRepository } from '@seckill/order-store';
import { HotStateService, ReserveOutcome, StockService } from '@seckill/stock';
import { CatalogService } from './catalog.service';
import { ChallengeAnswer, FrontDoorService, hasFrontDoor } from './front-door.service';
import { PurchaseTokens } from './purchase-token';
import { ReservationJournal } from './reservation-journal';
import { SeckillMetrics } from './seckill.metrics';
import { SoldOutRegistry } from './sold-out.registry';

/** Keys of in-process limiters; more distinct clients than this within a second are rare even at the peak. */
const LIMITER_KEYS = 200_000;
/** Addresses whose allowlist decision is remembered (see allowlisted). */
const ALLOWLIST_MEMO_SIZE = 10_000;

/**
 * The hot path. Everything that can refuse a purchase without Redis does so first, in this order: the shed switch,
 * the activity as memory knows it (unknown, not started, ended, sold out), the limits, the purchase token; then one
 * Lua call decides and records the reservation; the reservation's stream entry is the hand-off to the order queue
 * (see OrderRelay). Both doors of the endpoint (the fast path and ActivitiesController) call purchase().
 */
@Injectable()
export class PurchaseService {
  private readonly tokens: PurchaseTokens;
  private readonly perIp: KeyedRateLimiter;
  private readonly perUser: KeyedRateLimiter;
  private readonly global: TokenBucket;
  private readonly allowlist: IpMatcher;
  private readonly allowlistMemo = new Map<string, boolean>();

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: CatalogService,
    private readonly stock: StockService,
    private readonly soldOut: SoldOutRegistry,
    private readonly switches: SwitchesService,
    private readonly metrics: SeckillMetrics,
    private readonly frontDoor: FrontDoorService,
    private readonly hotState: HotStateService,
    private readonly journal: ReservationJournal,
    private readonly orders: OrderRepository,
  ) {
    this.tokens = new PurchaseTokens(config.JWT_SECRET, config.PURCHASE_TOKEN_TTL_SECONDS);
    const ip = config.RATE_LIMIT_PER_IP_PER_SECOND;
    const user = config.RATE_LIMIT_PER_USER_PER_SECOND;
    this.perIp = new KeyedRateLimiter({ ratePerSecond: ip, burst: ip * 2, maxKeys: LIMITER_KEYS });
    this.perUser = new KeyedRateLimiter({ ratePerSecond: user, burst: user * 2, maxKeys: LIMITER_KEYS });
    this.global = new TokenBucket(config.RATE_LIMIT_GLOBAL_PER_SECOND, config.RATE_LIMIT_GLOBAL_PER_SECOND);
    this.allowlist = new IpMatcher(config.RATE_LIMIT_IP_ALLOWLIST);
  }

  /** The per-user purchase token, issued only while the activity is on sale and its front door lets the user in. */
  async issueToken(activityId: number, principal: Principal, answer: ChallengeAnswer = {}): Promise<{ token: string; expiresIn: number }> {
    const activity = await this.catalog.get(activityId);
    const now = Date.now();
    this.assertOnSale(activity, now);
    if (hasFrontDoor(activity)) await this.frontDoor.admit(activity, principal.userId, answer, now);
    return this.tokens.issue(activityId, principal.userId, now);
  }

  async purchase(activityId: number, principal: Principal, token: string, ip: string): Promise<{ reservationId: string; status: 'QUEUED' }> {
    try {
      const reservationId = await this.reserve(activityId, principal, token, ip);
      this.metrics.purchases.inc('ACCEPTED');
      return { reservationId, status: 'QUEUED' };
    } catch (error) {
      this.metrics.purchases.inc(error instanceof DomainError ? error.code : 'ERROR');
      throw error;
    }
  }

  /**
   * Whether purchase() would answer SOLD_OUT from memory alone, without a Redis call, for any shopper: no shedding,
   * the activity fresh in memory, on sale, and sold out in this instance's registry. Then the outcome is counted as
   * purchase() counts it, and the caller answers SOLD_OUT without building the error (the sell-out flood is the
   * bulk of a sale's requests). False means nothing: call purchase().
   */
  soldOutFromMemory(activityId: number, now: number): boolean {
    if (!this.soldOutInMemory(activityId, now)) return false;
    this.metrics.purchases.inc('SOLD_OUT');
    return true;
  }

  /**
   * What soldOutFromMemory says, without counting an outcome: for a caller that has more to check first. `countRead`
   * false leaves the catalog read uncounted too, for a first look that soldOutFromMemory then confirms.
   */
  soldOutInMemory(activityId: number, now: number, countRead = true): boolean {
    if (!this.soldOut.has(activityId) || this.switches.get('purchaseShedPercent') > 0) return false;
    const activity = this.catalog.fresh(activityId, countRead);
    return activity !== undefined && now >= activity.startAt && now < activity.endAt;
  }

  async result(activityId: number, principal: Principal): Promise<ReservationResult> {
    const activity = await this.catalog.get(activityId);
    if (!activity.retired) return this.stock.result(activityId, principal.userId);
    // Retired: the reservations left Redis with every order final, so the user's latest order says it all.
    const order = await this.orders.latestOfActivity(BigInt(principal.userId), activityId);
    if (!order) return { status: 'NONE' };
    return {
      status: order.status === 'CANCELLED' ? 'CANCELLED' : 'CREATED',
      reservationId: order.reservation_id,
      orderId: String(order.id),
    };
  }

  private async reserve(activityId: number, principal: Principal, token: string, ip: string): Promise<string> {
    if (shouldShed(this.switches.get('purchaseShedPercent'))) {
      throw new DomainError('DEGRADED', 'purchases are being shed; try again shortly', { retryAfterSeconds: 1 });
    }
    // What memory knows of the activity comes first: an answer that holds for every shopper (unknown, not started,
    // ended, sold out) costs no limiter slot and no token check, which keeps a sold-out sale's flood cheap.
    // A fresh in-memory entry is read without a promise (the usual case at the peak); anything else goes through get().
    let activity = this.catalog.fresh(activityId) ?? (await this.catalog.get(activityId));
    const now = Date.now();
    this.assertOnSale(activity, now);
    this.checkLimits(principal.userId, ip);
    this.tokens.verify(token, activityId, principal.userId, now);

    const reservationId = randomUUID();
    const request = {
      userId: principal.userId,
      reservationId,
      now,
      activityRateLimit: this.config.RATE_LIMIT_PER_ACTIVITY_PER_SECOND,
    };
    let outcome = await this.timedReserve(activity, request);
    if (outcome.code === 'MISSING') {
      // Not loaded yet (prewarm normally runs well ahead of the start), or Redis lost it: load it now, from MySQL's
      // orders once the sale has started, so that a unit already ordered is never put on sale again.
      await this.hotState.load(activity).catch((error: Error) => {
        throw new DomainError('BUSY', 'the activity is being reloaded; try again', { retryAfterSeconds: 1, cause: error });
      });
      outcome = await this.timedReserve(activity, request);
    } else if (outcome.code === 'RESHARD') {
      // The stock was re-split by an edit before the start; our copy of the activity is stale.
      this.catalog.forget(activityId);
      activity = await this.catalog.get(activityId);
      outcome = await this.timedReserve(activity, request);
    }
    const accepted = this.accept(activity, outcome);
    this.journal.record(activity.id, accepted, principal.userId, now);
    return accepted;
  }

  private async timedReserve(activity: ActivityRecord, request: Parameters<StockService['reserve']>[2]): Promise<ReserveOutcome> {
    // performance.now() rather than the histogram's startTimer(): no closure and no label set per call.
    const started = performance.now();
    try {
      return await this.stock.reserve(activity.id, activity.stockShards, request);
    } finally {
      this.metrics.reserveSeconds.observe((performance.now() - started) / 1000);
    }
  }

  private accept(activity: ActivityRecord, outcome: ReserveOutcome): string {
    switch (outcome.code) {
      case 'OK':
        if (outcome.remaining === 0) this.soldOut.mark(activity.id);
        return outcome.reservationId;
      case 'DUP':
        throw new DomainError('ALREADY_PURCHASED', 'you already hold a unit of this activity', {
          extra: { reservationId: outcome.reservationId },
        });
      case 'SOLD_OUT':
        this.soldOut.mark(activity.id);
        throw new DomainError('SOLD_OUT', 'sold out');
      case 'NOT_STARTED':
        throw new DomainError('NOT_STARTED', 'the activity has not started yet', { retryAfterSeconds: 1 });
      case 'ENDED':
        throw new DomainError('ENDED', 'the activity has ended');
      case 'RATE':
        throw new DomainError('RATE_LIMITED', 'too many purchases for this activity right now', { retryAfterSeconds: 1 });
      default:
        throw new DomainError('BUSY', 'the activity is being reloaded; try again', { retryAfterSeconds: 1 });
    }
  }

  /** NOT_STARTED before the start, ENDED after the end, SOLD_OUT once this instance knows it is (no Redis call). */
  private assertOnSale(activity: ActivityRecord, now: number): void {
    if (now < activity.startAt) {
      const seconds = Math.ceil((activity.startAt - now) / 1000);
      throw new DomainError('NOT_STARTED', `the activity starts in ${seconds} s`, { retryAfterSeconds: Math.min(seconds, 60) });
    }
    if (now >= activity.endAt) throw new DomainError('ENDED', 'the activity has ended');
    if (this.soldOut.has(activity.id)) throw new DomainError('SOLD_OUT', 'sold out');
  }

  /**
   * Whether the address is on RATE_LIMIT_IP_ALLOWLIST, remembered per address: parsing it (ipaddr.js) on every purchase
   * cost about 2% of one's CPU, and a sale's requests come from far fewer addresses than they number (proxies, NATs,
   * load generators). Bounded: the memo starts over past ALLOWLIST_MEMO_SIZE addresses.
   */
  private allowlisted(ip: string): boolean {
    let known = this.allowlistMemo.get(ip);
    if (known === undefined) {
      if (this.allowlistMemo.size >= ALLOWLIST_MEMO_SIZE) this.allowlistMemo.clear();
      known = this.allowlist.matches(ip);
      this.allowlistMemo.set(ip, known);
    }
    return known;
  }

  private checkLimits(userId: string, ip: string): void {
    if (!this.allowlisted(ip)) {
      // An IPv4 address is its own key at the cost of one includes(':'); an IPv6 one counts per /64.
      const byIp = this.perIp.take(clientAddressKey(ip));
      if (!byIp.ok) throw new DomainError('RATE_LIMITED', 'too many requests from your address', { retryAfterSeconds: byIp.retryAfterSeconds });
    }
    const byUser = this.perUser.take(userId);
    if (!byUser.ok) throw new DomainError('RATE_LIMITED', 'too many purchase attempts', { retryAfterSeconds: byUser.retryAfterSeconds });
    if (!this.global.tryTake()) {
      throw new DomainError('RATE_LIMITED', 'the sale is at capacity', { retryAfterSeconds: this.global.retryAfterSeconds() });
    }
  }
}
