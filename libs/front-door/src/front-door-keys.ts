import { RedisKeys } from '@seckill/platform';

/** The Redis keys of one activity's front door; all share the activity's hash tag (one Redis Cluster slot). */
export class FrontDoorKeys {
  /** Hash: tail (last position given), serving, at (ms the inlet last advanced to), rate, cursor (expiry checked up to). */
  readonly room: string;
  /** user id → position in the waiting room. */
  readonly positions: string;
  /** position → user id (for the expiry check, which walks positions). */
  readonly shoppers: string;
  /** Sorted set of the inlet's steps: score = serving position after the step, member = `<serving>:<ms>`. */
  readonly steps: string;
  /** Users given a purchase token, counted against the participant cap. */
  readonly participants: string;
  private readonly challengePrefix: string;

  constructor(keys: RedisKeys, activityId: number) {
    const base = keys.key(keys.activityTag(activityId));
    this.room = `${base}:wr`;
    this.positions = `${base}:wr:positions`;
    this.shoppers = `${base}:wr:shoppers`;
    this.steps = `${base}:wr:steps`;
    this.participants = `${base}:participants`;
    this.challengePrefix = `${base}:challenge:`;
  }

  /** Marks a challenge (by its nonce) as used until it expires. */
  challengeUsed(nonce: string): string {
    return this.challengePrefix + nonce;
  }

  /** The set of activities whose waiting room someone joined: the rooms the inlet steps. */
  static rooms(keys: RedisKeys): string {
    return keys.key('front-door', 'rooms');
  }

  /** The lease of the instance that runs the inlet of every waiting room. */
  static inletLease(keys: RedisKeys): string {
    return keys.key('front-door', 'inlet-leader');
  }
}
