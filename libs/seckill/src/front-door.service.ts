import { Injectable } from '@nestjs/common';
import { ActivityRecord } from '@seckill/activities';
import { estimatedWaitSeconds, FrontDoorStore, ProofOfWork, QueuePlace, StaggerSchedule } from '@seckill/front-door';
import { AppConfig, DomainError } from '@seckill/platform';
import { CatalogService } from './catalog.service';
import { ChallengeView, QueuePlaceView } from './dto/front-door.dto';
import { SoldOutRegistry } from './sold-out.registry';

/** What a token request carries for an activity with a challenge. */
export interface ChallengeAnswer {
  challenge?: unknown;
  solution?: unknown;
}

/** Retry-After of NOT_ADMITTED: the honest estimate, but a client looks again within a minute at least. */
const MAX_RETRY_AFTER_SECONDS = 60;

/** Whether any front-door setting of the activity is on (records cached before the settings existed read as off). */
export function hasFrontDoor(activity: ActivityRecord): boolean {
  return activity.waitingRoomEnabled === true || activity.staggerSeconds > 0 || activity.maxParticipants > 0 || activity.challengeDifficulty > 0;
}

/**
 * The shopper's front door in the seckill service: the waiting room's endpoints, challenges, and the token
 * endpoint's admission (stagger and challenge checked in memory, then one gate call to Redis for the waiting
 * room, the single use of the challenge and the participant cap).
 */
@Injectable()
export class FrontDoorService {
  private readonly stagger: StaggerSchedule;
  private readonly pow: ProofOfWork;
  private readonly windowMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: CatalogService,
    private readonly store: FrontDoorStore,
    private readonly soldOut: SoldOutRegistry,
  ) {
    this.stagger = new StaggerSchedule(config.JWT_SECRET);
    this.pow = new ProofOfWork(config.JWT_SECRET, config.CHALLENGE_TTL_SECONDS);
    this.windowMs = config.WAITING_ROOM_ADMISSION_SECONDS * 1000;
  }

  /**
   * Lets a token request through the activity's front door, or throws what stops it: NOT_STARTED before the
   * shopper's staggered entry, CHALLENGE_FAILED, NOT_ADMITTED (with the position), FULL, SOLD_OUT or ENDED.
   * Call only for an activity on sale with hasFrontDoor(activity).
   */
  async admit(activity: ActivityRecord, userId: string, answer: ChallengeAnswer, now: number): Promise<void> {
    if (activity.staggerSeconds > 0) {
      const opensAt = activity.startAt + this.stagger.offsetMs(activity.id, userId, activity.staggerSeconds);
      if (now < opensAt) {
        const seconds = Math.ceil((opensAt - now) / 1000);
        throw new DomainError('NOT_STARTED', `entry is staggered: your turn opens in ${seconds} s`, { retryAfterSeconds: seconds });
      }
    }
    const challenge = activity.challengeDifficulty > 0
      ? await this.pow.verify(answer.challenge, answer.solution, activity.id, userId)
      : undefined;
    const waitingRoom = activity.waitingRoomEnabled === true;
    if (!waitingRoom && !(activity.maxParticipants > 0) && !challenge) return;
    const outcome = await this.store.gate(activity, {
      userId,
      now,
      admissionWindowMs: this.windowMs,
      waitingRoom,
      maxParticipants: activity.maxParticipants > 0 ? activity.maxParticipants : 0,
      challenge,
    });
    switch (outcome.code) {
      case 'OK':
        return;
      case 'REUSED':
        throw new DomainError('CHALLENGE_FAILED', 'this challenge was already used; fetch a new one');
      case 'FULL':
        throw new DomainError('FULL', 'this sale admits no more participants');
      case 'CLOSED':
        if (now >= activity.endAt) throw new DomainError('ENDED', 'the activity has ended');
        this.soldOut.mark(activity.id);
        throw new DomainError('SOLD_OUT', 'sold out');
      case 'NOT_ADMITTED': {
        const { place } = outcome;
        const wait = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, this.estimate(activity, place, now)));
        const message =
          place.status === 'NONE'
            ? 'this sale has a waiting room: join it (POST /api/activities/:id/queue) and wait for your turn'
            : place.status === 'EXPIRED'
              ? 'your turn passed without a purchase; join the waiting room again'
              : `you are number ${place.position} in the waiting room; ${place.servingPosition} admitted so far`;
        throw new DomainError('NOT_ADMITTED', message, { retryAfterSeconds: wait, extra: { position: place.position } });
      }
    }
  }

  /** Joins the activity's waiting room (idempotent). */
  async join(activityId: number, userId: string): Promise<QueuePlaceView> {
    const activity = await this.withWaitingRoom(activityId);
    const now = Date.now();
    return this.view(activity, await this.store.join(activity, userId, now, this.windowMs), now);
  }

  /** The shopper's place in the activity's waiting room (404 for one who has not joined). */
  async place(activityId: number, userId: string): Promise<QueuePlaceView> {
    const activity = await this.withWaitingRoom(activityId);
    const now = Date.now();
    const place = await this.store.peek(activity, userId, now, this.windowMs);
    if (place.status === 'NONE') throw new DomainError('NOT_FOUND', 'you are not in this waiting room: POST to join it');
    return this.view(activity, place, now);
  }

  /** A fresh, single-use challenge for the shopper (404 when the activity requires none). */
  async challenge(activityId: number, userId: string): Promise<ChallengeView> {
    const activity = await this.catalog.get(activityId);
    if (!(activity.challengeDifficulty > 0)) throw new DomainError('NOT_FOUND', `activity ${activityId} requires no challenge`);
    if (Date.now() >= activity.endAt) throw new DomainError('ENDED', 'the activity has ended');
    return this.pow.issue(activity.id, userId, activity.challengeDifficulty, Date.now());
  }

  private async withWaitingRoom(activityId: number): Promise<ActivityRecord> {
    const activity = await this.catalog.get(activityId);
    if (activity.waitingRoomEnabled !== true) throw new DomainError('NOT_FOUND', `activity ${activityId} has no waiting room`);
    return activity;
  }

  private view(activity: ActivityRecord, place: QueuePlace, now: number): QueuePlaceView {
    const status = place.status === 'NONE' ? 'CLOSED' : place.status;
    return {
      position: place.position,
      servingPosition: place.servingPosition,
      estimatedWaitSeconds: status === 'WAITING' ? this.estimate(activity, place, now) : 0,
      status,
    };
  }

  private estimate(activity: ActivityRecord, place: QueuePlace, now: number): number {
    return estimatedWaitSeconds(place.position - place.servingPosition, place.rate, activity.admitPerSecond, activity.startAt - now);
  }
}
