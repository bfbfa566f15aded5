import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  ActivityCache,
  ActivityChanges,
  ActivityRecord,
  ActivityRepository,
  FrontDoorField,
  toActivityView,
} from '@seckill/activities';
import { ActivityView } from '@seckill/contracts';
import { AppConfig, DomainError } from '@seckill/platform';
import { HotStateService, StockService } from '@seckill/stock';
import { Actor, AuditService } from './audit/audit.service';
import { CreateActivityDto, FrontDoorDto, UpdateActivityDto } from './dto/activity.dto';

const DEFAULT_PAYMENT_TIMEOUT_SECONDS = 900;

/**
 * The demo's front door with SEED_DEMO_FRONT_DOOR: a slow waiting room (so a shopper sees the position move), entry
 * spread over ten seconds, a cap of five shoppers per unit and a challenge of 50,000 hashes (a third of a second for
 * headless Chromium on our development machine).
 */
const DEMO_FRONT_DOOR: FrontDoorDto = {
  waitingRoom: { enabled: true, admitPerSecond: 2 },
  staggerSeconds: 10,
  maxParticipants: 500,
  challengeDifficulty: 50_000,
};

/** The operator's side of activities: create, list, edit before the start, prewarm; and the demo seed. */
@Injectable()
export class AdminActivitiesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminActivitiesService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ActivityRepository,
    private readonly cache: ActivityCache,
    private readonly stock: StockService,
    private readonly audit: AuditService,
    private readonly hotState: HotStateService,
  ) {}

  /** `npm start` (SEED_DEMO) gets one demo activity that a shopper can buy from a minute after start. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SEED_DEMO || (await this.repository.count()) > 0) return;
    const now = Date.now();
    const demo = await this.create({
      title: 'Demo: mechanical keyboard, 60% off',
      description: 'Seeded by npm start: 100 units, one per shopper, on sale from a minute after start for a day.',
      priceCents: 3999,
      originalPriceCents: 9999,
      stock: 100,
      stockShards: 1,
      startAt: new Date(now + 60_000),
      endAt: new Date(now + 24 * 3600_000),
      paymentTimeoutSeconds: DEFAULT_PAYMENT_TIMEOUT_SECONDS,
      ...(this.config.SEED_DEMO_FRONT_DOOR ? DEMO_FRONT_DOOR : {}),
    });
    this.logger.log(`seeded demo activity ${demo.id} starting at ${demo.startAt}`);
  }

  async create(input: CreateActivityDto, actor: Actor = 'system'): Promise<ActivityView> {
    assertSaleRules(
      { priceCents: input.priceCents, originalPriceCents: input.originalPriceCents ?? null, startAt: input.startAt, endAt: input.endAt },
      new Date(),
      'originalPriceCents',
    );
    const record = await this.repository.create({
      title: input.title,
      description: input.description ?? '',
      priceCents: input.priceCents,
      originalPriceCents: input.originalPriceCents ?? null,
      stock: input.stock,
      stockShards: Math.min(input.stockShards ?? 1, input.stock),
      startAt: input.startAt,
      endAt: input.endAt,
      paymentTimeoutSeconds: input.paymentTimeoutSeconds ?? DEFAULT_PAYMENT_TIMEOUT_SECONDS,
      ...frontDoorChanges(input),
    });
    await this.cache.changed(record.id);
    // Starting soon: load it now rather than at the scheduler's next pass.
    if (record.startAt - Date.now() <= this.config.PREWARM_AHEAD_SECONDS * 1000) await this.stock.prewarm(record);
    const view = await this.view(record);
    await this.audit.record(actor, 'activity.create', `activity:${record.id}`, null, view);
    return view;
  }

  async list(): Promise<ActivityView[]> {
    return Promise.all((await this.repository.findAll()).map((record) => this.view(record)));
  }

  async get(id: number): Promise<ActivityView> {
    return this.view(await this.find(id));
  }

  /**
   * Title, description and the front-door settings may change at any time; price, stock, shards, times and payment timeout only before
   * the start (409 ALREADY_STARTED after; the check is part of the UPDATE, so it cannot race the start).
   */
  async update(id: number, changes: UpdateActivityDto, actor: Actor = 'system'): Promise<ActivityView> {
    const current = await this.find(id);
    const before = await this.view(current);
    const { title, description, waitingRoom, staggerSeconds, maxParticipants, challengeDifficulty, ...saleChanges } = changes;
    const anyTime = { title, description, ...frontDoorChanges({ waitingRoom, staggerSeconds, maxParticipants, challengeDifficulty }) };
    const hasSaleChanges = Object.values(saleChanges).some((value) => value !== undefined);
    let record: ActivityRecord | null = current;
    if (hasSaleChanges) {
      assertSaleRules(
        {
          priceCents: saleChanges.priceCents ?? current.priceCents,
          originalPriceCents: saleChanges.originalPriceCents ?? current.originalPriceCents,
          startAt: saleChanges.startAt ?? new Date(current.startAt),
          endAt: saleChanges.endAt ?? new Date(current.endAt),
        },
        new Date(),
        saleChanges.originalPriceCents !== undefined ? 'originalPriceCents' : 'priceCents',
      );
      const stock = saleChanges.stock ?? current.stock;
      const update: ActivityChanges = { ...saleChanges, ...anyTime };
      if (saleChanges.stockShards !== undefined || saleChanges.stock !== undefined) {
        update.stockShards = Math.min(saleChanges.stockShards ?? current.stockShards, stock);
      }
      record = await this.repository.updateBeforeStart(id, update, new Date());
      if (!record) throw new DomainError('ALREADY_STARTED', 'the activity has started and can no longer be edited');
      await this.cache.changed(id);
      // Already loaded into Redis: reload it with the new stock and window (nobody can hold a unit yet).
      if ((await this.stock.remaining(id, current.stockShards)) !== null) {
        await this.stock.prewarm(record, true);
      }
    } else if (Object.values(anyTime).some((value) => value !== undefined)) {
      record = await this.repository.updateAnyTime(id, anyTime);
      await this.cache.changed(id);
    }
    const after = await this.view(record ?? current);
    await this.audit.record(actor, 'activity.update', `activity:${id}`, before, after);
    return after;
  }

  /** Loads the stock into Redis; idempotent (never resets units already sold; after the start, loads from the orders). */
  async prewarm(id: number, actor: Actor = 'system'): Promise<{ remaining: number }> {
    const record = await this.find(id);
    const before = await this.stock.remaining(record.id, record.stockShards);
    const remaining = await this.hotState.load(record);
    await this.audit.record(actor, 'activity.prewarm', `activity:${id}`, { loaded: before !== null, remaining: before }, { loaded: true, remaining });
    return { remaining };
  }

  private async find(id: number): Promise<ActivityRecord> {
    const record = await this.repository.findById(id);
    if (!record) throw new DomainError('NOT_FOUND', `no activity ${id}`);
    return record;
  }

  private async view(record: ActivityRecord): Promise<ActivityView> {
    return toActivityView(record, await this.stock.available(record), Date.now());
  }
}

/** The record fields of the front-door settings given (undefined for those not given). */
function frontDoorChanges(input: FrontDoorDto): Partial<Pick<ActivityRecord, FrontDoorField>> {
  return {
    waitingRoomEnabled: input.waitingRoom?.enabled,
    admitPerSecond: input.waitingRoom?.admitPerSecond,
    staggerSeconds: input.staggerSeconds,
    maxParticipants: input.maxParticipants,
    challengeDifficulty: input.challengeDifficulty,
  };
}

interface SaleTerms {
  priceCents: number;
  originalPriceCents: number | null;
  startAt: Date;
  endAt: Date;
}

/**
 * The rules between fields that class-validator's per-field rules cannot see: a sale window that ends after it
 * starts and not in the past (no shopper could ever buy), and an original price, if any, not below the sale price.
 * Each broken rule is reported on one field.
 * @param priceField the field to blame when the prices disagree (the one the request changed)
 * @throws DomainError VALIDATION_FAILED naming every field that breaks a rule
 */
function assertSaleRules(terms: SaleTerms, now: Date, priceField: 'priceCents' | 'originalPriceCents'): void {
  const details: Array<{ field: string; problems: string[] }> = [];
  if (terms.endAt.getTime() <= terms.startAt.getTime()) {
    details.push({ field: 'endAt', problems: ['endAt must be after startAt'] });
  } else if (terms.endAt.getTime() <= now.getTime()) {
    details.push({ field: 'endAt', problems: ['endAt must be in the future: the sale window is wholly in the past'] });
  }
  if (terms.originalPriceCents !== null && terms.originalPriceCents < terms.priceCents) {
    details.push({ field: priceField, problems: ['originalPriceCents must not be below priceCents'] });
  }
  if (details.length > 0) {
    const message = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
    throw new DomainError('VALIDATION_FAILED', message, { details });
  }
}
