import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS, RedisKeys } from '@seckill/platform';
import { StockKeys } from '@seckill/stock';
import { FrontDoorKeys } from './front-door-keys';

const script = (name: string) => readFileSync(join(__dirname, `${name}.lua`), 'utf8');
const SCRIPTS = {
  frontDoor: script('front-door'),
  frontDoorInlet: script('inlet'),
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (numberOfKeys: number, ...args: Array<string | number>) => Promise<unknown>;

/** Waiting-room state outlives its sale by this much, then Redis retires it (every key is created with an expiry). */
export const RETIRE_AFTER_END_MS = 3600_000;

/** What the front door needs of an activity: its window and how its stock is split (to see a sell-out). */
export interface FrontDoorActivity {
  id: number;
  startAt: number;
  endAt: number;
  stockShards: number;
}

/** Where a shopper stands in the waiting room. */
export type QueueStatus = 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'CLOSED';

/** A shopper's place: `NONE` (and position 0) for a shopper who never joined; CLOSED may come with position 0. */
export interface QueuePlace {
  status: QueueStatus | 'NONE';
  position: number;
  servingPosition: number;
  /** The last position given out: how many have joined. */
  tail: number;
  /** Admissions per second the inlet is running at now (0 while paused or closed). */
  rate: number;
}

/** The answer of the token endpoint's gate. */
export type GateOutcome =
  | { code: 'OK' }
  | { code: 'CLOSED' }
  | { code: 'REUSED' }
  | { code: 'FULL' }
  | { code: 'NOT_ADMITTED'; place: QueuePlace };

/** What the token endpoint asks of the gate: only the checks whose setting is on are made. */
export interface GateRequest {
  userId: string;
  now: number;
  /** How long an admitted shopper has to buy (ms). */
  admissionWindowMs: number;
  /** Require admission by the waiting room. */
  waitingRoom: boolean;
  /** Distinct token holders at most (0 = no cap). */
  maxParticipants: number;
  /** The nonce of the solved challenge to mark used, with the challenge's lifetime; omitted when there is none. */
  challenge?: { nonce: string; ttlMs: number };
}

/** One inlet step's result. */
export interface InletOutcome {
  state: 'OPEN' | 'CLOSED' | 'UPCOMING';
  servingPosition: number;
  tail: number;
  /** Admitted shoppers found expired in this step (their turns went to the next ones). */
  expired: number;
  /** Reservations in the activity's stream not yet handed to the order queue. */
  backlog: number;
}

/**
 * The front door's state in Redis: waiting-room positions and the serving position, the participant set and used
 * challenges. Every decision is one Lua call (front-door.lua for shoppers, inlet.lua for the leader's inlet), so the
 * token endpoint's whole admission check costs one round trip and concurrent shoppers get dense, unique positions.
 */
@Injectable()
export class FrontDoorStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    const commands = redis as unknown as Record<string, unknown>;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!commands[name]) redis.defineCommand(name, { lua });
    }
  }

  private run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    const command = (this.redis as unknown as Record<ScriptName, ScriptCall>)[name];
    return command.call(this.redis, keys.length, ...keys, ...args);
  }

  keysFor(activityId: number): FrontDoorKeys {
    return new FrontDoorKeys(this.keys, activityId);
  }

  /** Joins the waiting room (idempotent: the same position on repeat; an expired shopper goes to the back). */
  async join(activity: FrontDoorActivity, userId: string, now: number, admissionWindowMs: number): Promise<QueuePlace> {
    // Sent together (the connection auto-pipelines): the room is listed for the inlet by the time anyone waits in it.
    const [place] = await Promise.all([
      this.place('join', activity, userId, now, admissionWindowMs),
      this.redis.sadd(FrontDoorKeys.rooms(this.keys), String(activity.id)),
    ]);
    return place;
  }

  /** Activities whose waiting room someone joined (until forgetRoom). */
  async rooms(): Promise<number[]> {
    return (await this.redis.smembers(FrontDoorKeys.rooms(this.keys))).map(Number);
  }

  /** Takes an activity off the inlet's list (its sale is over). */
  async forgetRoom(activityId: number): Promise<void> {
    await this.redis.srem(FrontDoorKeys.rooms(this.keys), String(activityId));
  }

  /** The shopper's place without changing anything (status NONE for one who never joined). */
  peek(activity: FrontDoorActivity, userId: string, now: number, admissionWindowMs: number): Promise<QueuePlace> {
    return this.place('peek', activity, userId, now, admissionWindowMs);
  }

  /**
   * The token endpoint's checks in one atomic call: admitted by the waiting room, challenge not used before,
   * participant cap not reached; only when all pass is the challenge marked used and the shopper counted.
   */
  async gate(activity: FrontDoorActivity, request: GateRequest): Promise<GateOutcome> {
    const reply = (await this.run('frontDoor', this.scriptKeys(activity, request.challenge?.nonce), [
      'gate',
      request.userId,
      request.now,
      activity.endAt,
      request.admissionWindowMs,
      request.waitingRoom ? 1 : 0,
      request.maxParticipants,
      request.challenge?.ttlMs ?? 0,
      activity.endAt + RETIRE_AFTER_END_MS,
    ])) as Array<string | number>;
    if (reply[0] === 'NOT_ADMITTED') return { code: 'NOT_ADMITTED', place: toPlace(reply.slice(1)) };
    return { code: reply[0] as 'OK' | 'CLOSED' | 'REUSED' | 'FULL' };
  }

  /** Advances the activity's serving position to `now` at `rate` admissions per second (see inlet.lua). */
  async advance(
    activity: FrontDoorActivity,
    step: { now: number; rate: number; admissionWindowMs: number; maxExpiryChecks: number },
  ): Promise<InletOutcome> {
    const room = this.keysFor(activity.id);
    const stock = new StockKeys(this.keys, activity.id, activity.stockShards);
    const reply = (await this.run(
      'frontDoorInlet',
      [room.room, room.positions, room.shoppers, room.steps, stock.last, stock.stream, ...stock.stock],
      [step.now, step.rate, step.admissionWindowMs, activity.startAt, activity.endAt, activity.endAt + RETIRE_AFTER_END_MS, step.maxExpiryChecks],
    )) as [string, number, number, number, number];
    return {
      state: reply[0] as InletOutcome['state'],
      servingPosition: Number(reply[1]),
      tail: Number(reply[2]),
      expired: Number(reply[3]),
      backlog: Number(reply[4]),
    };
  }

  private async place(op: 'join' | 'peek', activity: FrontDoorActivity, userId: string, now: number, windowMs: number): Promise<QueuePlace> {
    const reply = (await this.run('frontDoor', this.scriptKeys(activity), [
      op,
      userId,
      now,
      activity.endAt,
      windowMs,
      1,
      0,
      0,
      activity.endAt + RETIRE_AFTER_END_MS,
    ])) as Array<string | number>;
    return toPlace(reply);
  }

  private scriptKeys(activity: FrontDoorActivity, challengeNonce = '-'): string[] {
    const room = this.keysFor(activity.id);
    const stock = new StockKeys(this.keys, activity.id, activity.stockShards);
    return [
      room.room,
      room.positions,
      room.shoppers,
      room.steps,
      stock.last,
      room.participants,
      room.challengeUsed(challengeNonce),
      ...stock.stock,
    ];
  }
}

/** Parses {status, position, serving, tail, rate} (see front-door.lua). */
function toPlace(reply: Array<string | number>): QueuePlace {
  return {
    status: reply[0] as QueuePlace['status'],
    position: Number(reply[1] ?? 0),
    servingPosition: Number(reply[2] ?? 0),
    tail: Number(reply[3] ?? 0),
    rate: Number(reply[4] ?? 0),
  };
}
