import { Inject, Injectable } from '@nestjs/common';
import { CORE_DB, PrismaClient } from '@seckill/platform';
import { ActivityRecord, FrontDoorField, toRecord } from './activity-record';

/** An activity to create: a record without its id, with Date times as MySQL takes them; the front door off unless set. */
export type NewActivity = Omit<ActivityRecord, 'id' | 'startAt' | 'endAt' | 'retired' | FrontDoorField> &
  Partial<Pick<ActivityRecord, FrontDoorField>> & { startAt: Date; endAt: Date };

export type ActivityChanges = Partial<Omit<NewActivity, 'description'>> & { description?: string };

/** The only code that reads or writes the activities table. */
@Injectable()
export class ActivityRepository {
  constructor(@Inject(CORE_DB) private readonly db: PrismaClient) {}

  async findById(id: number): Promise<ActivityRecord | null> {
    const row = await this.db.activity.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  /** Every activity, newest start first (a sale lists dozens, not thousands). */
  async findAll(): Promise<ActivityRecord[]> {
    const rows = await this.db.activity.findMany({ orderBy: [{ startAt: 'desc' }, { id: 'desc' }], take: 500 });
    return rows.map(toRecord);
  }

  /** Activities whose sale window has not closed and that start before `until`. */
  async findStartingBefore(until: Date, now: Date): Promise<ActivityRecord[]> {
    const rows = await this.db.activity.findMany({ where: { startAt: { lte: until }, endAt: { gt: now } } });
    return rows.map(toRecord);
  }

  async allIds(): Promise<number[]> {
    const rows = await this.db.activity.findMany({ select: { id: true } });
    return rows.map((row) => row.id);
  }

  async count(): Promise<number> {
    return this.db.activity.count();
  }

  async create(activity: NewActivity): Promise<ActivityRecord> {
    return toRecord(await this.db.activity.create({ data: activity }));
  }

  /**
   * Applies changes only while the activity has not started (checked in the same UPDATE, so an edit cannot slip
   * past the start). Returns null when the row was not updated.
   */
  async updateBeforeStart(id: number, changes: ActivityChanges, now: Date): Promise<ActivityRecord | null> {
    const { count } = await this.db.activity.updateMany({ where: { id, startAt: { gt: now } }, data: changes });
    return count === 1 ? this.findById(id) : null;
  }

  /**
   * Records that the activity's hot state left Redis, with what Redis held then. Only the first call writes (the
   * row is matched on retired_at IS NULL), so a retirement interrupted and run again keeps its first snapshot.
   */
  async markRetired(id: number, stock: { remaining: number; reserved: number }, at: Date): Promise<boolean> {
    const { count } = await this.db.activity.updateMany({
      where: { id, retiredAt: null },
      data: { retiredAt: at, finalRemaining: stock.remaining, finalReserved: stock.reserved },
    });
    return count === 1;
  }

  /** Changes that are allowed at any time (title, description, the front-door settings). */
  async updateAnyTime(
    id: number,
    changes: { title?: string; description?: string } & Partial<Pick<ActivityRecord, FrontDoorField>>,
  ): Promise<ActivityRecord | null> {
    const { count } = await this.db.activity.updateMany({ where: { id }, data: changes });
    return count === 1 ? this.findById(id) : null;
  }
}
