import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { ReservationRef, ReservationResult, ReservationStatus } from '@seckill/contracts';
import { REDIS, RedisKeys } from '@seckill/platform';
import { RELAY_GROUP, StockKeys } from './stock-keys';

const script = (name: string) => readFileSync(join(__dirname, `${name}.lua`), 'utf8');
const SCRIPTS = {
  stockReserve: script('reserve'),
  stockPrewarm: script('prewarm'),
  stockRelease: script('release'),
  stockMarkCreated: script('mark-created'),
  stockMarkFailed: script('mark-failed'),
  stockRestore: script('restore'),
  stockReportLost: script('report-lost'),
  stockReclaim: script('reclaim'),
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (numberOfKeys: number, ...args: Array<string | number>) => Promise<unknown>;

/** The sale as Redis needs it to decide a purchase. */
export interface StockActivity {
  id: number;
  startAt: number;
  endAt: number;
  stock: number;
  stockShards: number;
}

export type ReserveOutcome =
  | { code: 'OK'; reservationId: string; remaining: number }
  | { code: 'DUP'; reservationId: string }
  | { code: 'SOLD_OUT' | 'NOT_STARTED' | 'ENDED' | 'RATE' | 'MISSING' }
  | { code: 'RESHARD'; shards: number };

export interface ReservationRecord {
  reservationId: string;
  status: Exclude<ReservationStatus, 'NONE'>;
  userId: string;
  stockKey: number;
  reservedAt: number;
  orderId?: string;
}

/** An order that holds a unit, as restore() needs it. */
export interface HeldOrder {
  userId: string;
  reservationId: string;
  orderId: string;
  createdAt: number;
}

/** See StockService.restore. */
export type RestoreMode = 'load' | 'rebuild' | 'adopt';

/** What restore() did. */
export interface RestoreOutcome {
  /** Units left over the stock keys, or null when the activity is still not in Redis (adopt only). */
  remaining: number | null;
  /** Users who became holders (the orders Redis did not know). */
  added: number;
  /** Units the stock did not have for orders that hold one: oversold, for reconciliation to show. */
  short: number;
  /** Whether this call loaded the activity into Redis. */
  loaded: boolean;
}

/** A reservation accepted (202) and then lost with Redis' data before it became an order. */
export interface LostReservation {
  reservationId: string;
  userId: string;
  reservedAt: number;
}

/** Activities whose keys are kept (a sale has a handful live; the cache starts over past this many). */
const KEY_CACHE_SIZE = 1000;
const MAX_CACHED_SHARDS = 4096;

/** Orders per restore script call: keeps each call short, so Redis serves purchases between them. */
const RESTORE_CHUNK = 1000;

/** Parses "STATUS|user|stock key|reserved at|order id" (see reserve.lua). */
export function parseReservation(reservationId: string, raw: string): ReservationRecord {
  const [status, userId, stockKey, reservedAt, orderId] = raw.split('|');
  return {
    reservationId,
    status: status as ReservationRecord['status'],
    userId,
    stockKey: Number(stockKey),
    reservedAt: Number(reservedAt),
    orderId: orderId ? orderId : undefined,
  };
}

/**
 * Stock and reservations in Redis. Every decision is one Lua script (loaded once, run by EVALSHA through
 * ioredis' defineCommand), so concurrent purchases can neither oversell nor give one user two units.
 */
@Injectable()
export class StockService {
  private readonly keyCache = new Map<number, StockKeys>();
  private corked = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    const commands = redis as unknown as Record<string, unknown>;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!commands[name]) redis.defineCommand(name, { lua });
    }
    // The reservation script goes out as it comes, not through ioredis' auto-pipelining: that batches the commands
    // issued within one tick, and purchases arrive one per tick (one per socket read), so every call paid for a
    // pipeline of one (about a twentieth of a purchase's CPU). Other commands keep it.
    const ignored = redis.options.autoPipeliningIgnoredCommands ?? [];
    if (!ignored.includes('stockReserve')) redis.options.autoPipeliningIgnoredCommands = [...ignored, 'stockReserve'];
  }

  private run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    const command = (this.redis as unknown as Record<ScriptName, ScriptCall>)[name];
    return command.call(this.redis, keys.length, ...keys, ...args);
  }

  /** Activities loaded into Redis whose reservation streams the relay drains. */
  get liveKey(): string {
    return this.keys.key('activities', 'live');
  }

  /** Channel of sold-out news: "<activityId>:1" when an activity sells out, "<activityId>:0" when units return. */
  get soldOutChannel(): string {
    return this.keys.key('stock', 'sold-out');
  }

  async announceSoldOut(activityId: number, soldOut: boolean): Promise<void> {
    await this.redis.publish(this.soldOutChannel, `${activityId}:${soldOut ? 1 : 0}`);
  }

  /** The activity's keys; kept per activity (built on every purchase, their strings were a measurable cost). */
  keysFor(activityId: number, shards: number): StockKeys {
    if (shards >= MAX_CACHED_SHARDS) return new StockKeys(this.keys, activityId, shards);
    // One number per (activity, shard count): callers that need no stock key ask with 1, purchases with the real count.
    const slot = activityId * MAX_CACHED_SHARDS + shards;
    let keys = this.keyCache.get(slot);
    if (keys === undefined) {
      if (this.keyCache.size >= KEY_CACHE_SIZE) this.keyCache.clear();
      keys = new StockKeys(this.keys, activityId, shards);
      this.keyCache.set(slot, keys);
    }
    return keys;
  }

  /** Loads the activity into Redis (idempotent); `force` reloads the stock of an edit made before the start. */
  async prewarm(activity: StockActivity, force = false): Promise<number> {
    const keys = this.keysFor(activity.id, activity.stockShards);
    const remaining = await this.run('stockPrewarm', [keys.meta, keys.holders, ...keys.stock], [
      activity.startAt,
      activity.endAt,
      activity.stock,
      activity.stockShards,
      force ? 1 : 0,
    ]);
    await this.redis.sadd(this.liveKey, String(activity.id));
    return Number(remaining);
  }

  /** One round trip: the purchase decision and, on success, the reservation record and its hand-off entry. */
  async reserve(
    activityId: number,
    shards: number,
    request: { userId: string; reservationId: string; now: number; activityRateLimit: number },
  ): Promise<ReserveOutcome> {
    const keys = this.keysFor(activityId, shards);
    // Start at a user-dependent key so that concurrent buyers spread over the keys of a split stock.
    const first = shards > 1 ? Number(BigInt(request.userId) % BigInt(shards)) : 0;
    this.corkUntilNextTurn();
    // Called directly rather than through run(): no key and argument arrays to build and spread on every purchase.
    const reserve = (this.redis as unknown as Record<ScriptName, ScriptCall>).stockReserve;
    const reply = (await (shards === 1
      ? reserve.call(this.redis, 7, keys.meta, keys.holders, keys.reservations, keys.last, keys.stream, keys.rateWindow(request.now),
          keys.stock[0], request.userId, request.reservationId, request.now, request.activityRateLimit, first)
      : this.run(
          'stockReserve',
          [keys.meta, keys.holders, keys.reservations, keys.last, keys.stream, keys.rateWindow(request.now), ...keys.stock],
          [request.userId, request.reservationId, request.now, request.activityRateLimit, first],
        ))) as [string, ...Array<string | number>];
    switch (reply[0]) {
      case 'OK':
        return { code: 'OK', reservationId: String(reply[1]), remaining: Number(reply[2]) };
      case 'DUP':
        return { code: 'DUP', reservationId: String(reply[1]) };
      case 'RESHARD':
        return { code: 'RESHARD', shards: Number(reply[1]) };
      default:
        return { code: reply[0] as 'SOLD_OUT' | 'NOT_STARTED' | 'ENDED' | 'RATE' | 'MISSING' };
    }
  }

  /**
   * Holds the connection's writes until the end of this turn of the event loop (setImmediate runs after the poll
   * phase, which hands over every request that arrived meanwhile), so that the reservation calls of the purchases
   * served in one turn leave in one write instead of one system call each (the write was about a tenth of a
   * purchase's CPU). Nothing waits longer than the turn; a connection that is not writable is left alone (ioredis
   * answers its commands as before).
   */
  private corkUntilNextTurn(): void {
    const stream = this.redis.stream;
    if (this.corked || !stream?.writable) return;
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  /** Units left over all stock keys, or null when the activity is not in Redis. */
  async remaining(activityId: number, shards: number): Promise<number | null> {
    const keys = this.keysFor(activityId, shards);
    const values = await this.redis.mget(...keys.stock);
    if (values.every((value) => value === null)) return null;
    return values.reduce((sum, value) => sum + Number(value ?? 0), 0);
  }

  /**
   * Units a shopper can still buy: what Redis holds, the whole stock while the activity is not loaded yet, or what
   * Redis held when the activity was retired (its keys are gone then).
   */
  async available(activity: Pick<StockActivity, 'id' | 'stock' | 'stockShards'> & { retired?: { remaining: number } | null }): Promise<number> {
    if (activity.retired) return activity.retired.remaining;
    return (await this.remaining(activity.id, activity.stockShards)) ?? activity.stock;
  }

  /** The user's latest reservation in the activity, as the result endpoint reports it. */
  async result(activityId: number, userId: string): Promise<ReservationResult> {
    const keys = this.keysFor(activityId, 1);
    const reservationId = await this.redis.hget(keys.last, userId);
    if (!reservationId) return { status: 'NONE' };
    const raw = await this.redis.hget(keys.reservations, reservationId);
    if (!raw) return { status: 'QUEUED', reservationId };
    const record = parseReservation(reservationId, raw);
    return record.orderId
      ? { status: record.status, reservationId, orderId: record.orderId }
      : { status: record.status, reservationId };
  }

  async reservation(activityId: number, reservationId: string): Promise<ReservationRecord | null> {
    const raw = await this.redis.hget(this.keysFor(activityId, 1).reservations, reservationId);
    return raw ? parseReservation(reservationId, raw) : null;
  }

  /** Records the order that fulfils a reservation (no effect once it is cancelled). */
  async markCreated(activityId: number, reservationId: string, orderId: string): Promise<boolean> {
    return (await this.markManyCreated(activityId, [[reservationId, orderId]])) === 1;
  }

  /** markCreated for a batch, in one script call; returns how many were recorded. */
  async markManyCreated(activityId: number, pairs: Array<[reservationId: string, orderId: string]>): Promise<number> {
    if (pairs.length === 0) return 0;
    const keys = this.keysFor(activityId, 1);
    return Number(await this.run('stockMarkCreated', [keys.reservations], pairs.flat()));
  }

  /** Many reservations in one round trip (null for unknown ones). */
  async reservations(activityId: number, reservationIds: string[]): Promise<Array<ReservationRecord | null>> {
    if (reservationIds.length === 0) return [];
    const raw = await this.redis.hmget(this.keysFor(activityId, 1).reservations, ...reservationIds);
    return raw.map((value, index) => (value ? parseReservation(reservationIds[index], value) : null));
  }

  /** Records that a reservation's order could not be created (its job is in the failed set). */
  async markFailed(activityId: number, reservationId: string): Promise<boolean> {
    const keys = this.keysFor(activityId, 1);
    return Number(await this.run('stockMarkFailed', [keys.reservations], [reservationId])) === 1;
  }

  /**
   * Reservations of an activity still waiting for their order (QUEUED) since before `olderThan` (ms), for the
   * sweeper. Iterates the activity's reservations with HSCAN, so it never blocks Redis.
   */
  async *queuedBefore(activityId: number, olderThan: number): AsyncGenerator<ReservationRecord> {
    const key = this.keysFor(activityId, 1).reservations;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const record = parseReservation(flat[i], flat[i + 1]);
        if (record.status === 'QUEUED' && record.reservedAt < olderThan) yield record;
      }
    } while (cursor !== '0');
  }

  /** Activities loaded into Redis (whose reservations may still need an order). */
  async liveActivities(): Promise<number[]> {
    return (await this.redis.smembers(this.liveKey)).map(Number);
  }

  /** Returns a reservation's unit to stock and frees its user to buy again; at most once per reservation. */
  async release(activityId: number, shards: number, reservationId: string, orderId = ''): Promise<boolean> {
    const keys = this.keysFor(activityId, shards);
    const released = await this.run(
      'stockRelease',
      [keys.meta, keys.holders, keys.reservations, ...keys.stock],
      [reservationId, orderId],
    );
    return Number(released) === 1;
  }

  /**
   * Returns the units of many reservations of one activity in one script call (the timeouts' batches); at most once
   * per reservation, so calling it again for the same reservations (a retried batch) returns nothing twice.
   * @returns how many units went back
   */
  async releaseMany(activityId: number, shards: number, reservations: Array<{ reservationId: string; orderId: string }>): Promise<number> {
    if (reservations.length === 0) return 0;
    const keys = this.keysFor(activityId, shards);
    const released = await this.run(
      'stockRelease',
      [keys.meta, keys.holders, keys.reservations, ...keys.stock],
      reservations.flatMap((r) => [r.reservationId, r.orderId]),
    );
    return Number(released);
  }

  /** Whether the activity is in Redis (prewarmed or restored): its meta is there. */
  async isLoaded(activityId: number): Promise<boolean> {
    return (await this.redis.exists(this.keysFor(activityId, 1).meta)) === 1;
  }

  /**
   * Restores the activity's hot state from orders that hold a unit (restore.lua), in one of its modes: `load` loads an
   * activity Redis does not hold (remaining = stock − holders, holders from the orders) and leaves one it holds alone;
   * `rebuild` also adopts, in an activity Redis holds, the orders it does not know; `adopt` only adopts (holders and
   * records, and units if the activity is loaded), for a later load to count. Idempotent. A load or rebuild adds the
   * activity to the live set.
   */
  async restore(activity: StockActivity, orders: HeldOrder[], mode: RestoreMode): Promise<RestoreOutcome> {
    const keys = this.keysFor(activity.id, activity.stockShards);
    const outcome: RestoreOutcome = { remaining: null, added: 0, short: 0, loaded: false };
    // In chunks, so that Redis serves purchases between them; the last call (the last chunk, or none) loads.
    for (let i = 0; i === 0 || i < orders.length; i += RESTORE_CHUNK) {
      const chunk = orders.slice(i, i + RESTORE_CHUNK);
      const last = i + RESTORE_CHUNK >= orders.length;
      const reply = (await this.run(
        'stockRestore',
        [keys.meta, keys.holders, keys.reservations, keys.last, keys.lost, ...keys.stock],
        [
          activity.startAt,
          activity.endAt,
          activity.stock,
          activity.stockShards,
          mode,
          last ? 1 : 0,
          ...chunk.flatMap((order) => [order.userId, order.reservationId, order.orderId, order.createdAt]),
        ],
      )) as [number, number, number, number];
      outcome.remaining = reply[0] < 0 ? null : reply[0];
      outcome.added += reply[1];
      outcome.short += reply[2];
      outcome.loaded ||= reply[3] === 1;
    }
    if (mode !== 'adopt') await this.redis.sadd(this.liveKey, String(activity.id));
    return outcome;
  }

  /**
   * Re-asserts reservations whose orders are about to be written (reclaim.lua): those Redis knows stand; one Redis lost
   * since, or reported lost, stands again only with a unit (or as a holder while the activity is not loaded), and
   * becomes its shopper's latest reservation. Returns, per reservation, whether its order may be written.
   */
  async reclaim(activity: Pick<StockActivity, 'id' | 'stockShards'>, reservations: ReservationRef[]): Promise<boolean[]> {
    if (reservations.length === 0) return [];
    const keys = this.keysFor(activity.id, activity.stockShards);
    const args = reservations.flatMap((r) => [r.reservationId, r.userId, r.reservedAt]);
    const flags = (await this.run('stockReclaim', [keys.meta, keys.holders, keys.reservations, keys.last, keys.lost, ...keys.stock], args)) as number[];
    return flags.map((flag) => flag === 1);
  }

  /**
   * Reports reservations accepted and lost with Redis' data (report-lost.lua): each lands in the activity's lost
   * hash and reads FAILED for its shopper, unless Redis knows it after all. Returns those reported.
   */
  async reportLost(activityId: number, reservations: LostReservation[]): Promise<number> {
    if (reservations.length === 0) return 0;
    const keys = this.keysFor(activityId, 1);
    const args = reservations.flatMap((r) => [r.reservationId, r.userId, r.reservedAt]);
    return Number(await this.run('stockReportLost', [keys.reservations, keys.last, keys.lost], args));
  }

  /** The reservations reported lost for the activity, oldest first. */
  async lost(activityId: number): Promise<LostReservation[]> {
    const raw = await this.redis.hgetall(this.keysFor(activityId, 1).lost);
    return Object.entries(raw)
      .map(([reservationId, value]) => {
        const [userId, reservedAt] = value.split('|');
        return { reservationId, userId, reservedAt: Number(reservedAt) };
      })
      .sort((a, b) => a.reservedAt - b.reservedAt);
  }

  /**
   * Why the activity's hot state cannot be retired yet, or null when it can: entries in its stream not yet handed
   * to the order queue (or handed but not acknowledged), or reservations whose order is not final in Redis (QUEUED:
   * on their way; FAILED: waiting for an operator to retry their job). Reads the reservations with HSCAN.
   */
  async retirementBlocker(activityId: number): Promise<string | null> {
    const keys = this.keysFor(activityId, 1);
    if ((await this.redis.xlen(keys.stream)) > 0) return 'reservations in its stream not yet relayed';
    try {
      const [pending] = (await this.redis.xpending(keys.stream, RELAY_GROUP)) as [number, ...unknown[]];
      if (Number(pending) > 0) return 'relayed reservations not yet acknowledged';
    } catch (error) {
      // No stream or no group: nothing was ever relayed, so nothing is pending.
      if (!/NOGROUP|no such key/i.test((error as Error).message)) throw error;
    }
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(keys.reservations, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 1; i < flat.length; i += 2) {
        const status = flat[i].slice(0, flat[i].indexOf('|'));
        if (status === 'QUEUED' || status === 'FAILED') return `reservation ${flat[i - 1]} is ${status}`;
      }
    } while (cursor !== '0');
    return null;
  }

  /**
   * Removes an activity's hot state: first from the live set (the relay and the sweeper stop looking at it), then
   * its keys. The caller has kept what reconciliation needs (see retirementBlocker, ActivityRepository.markRetired).
   */
  async retire(activityId: number, shards: number): Promise<void> {
    await this.redis.srem(this.liveKey, String(activityId));
    await this.redis.unlink(...this.keysFor(activityId, shards).all);
  }

  /** Units reserved and not released (holders), for reconciliation and stats. */
  async holders(activityId: number): Promise<number> {
    return this.redis.hlen(this.keysFor(activityId, 1).holders);
  }
}
