import { Injectable } from '@nestjs/common';
import { ActivityRecord, ActivityRepository } from '@seckill/activities';

const TTL_MS = 5000;

/** Activities as the order workers need them (price, payment timeout, stock keys), read from MySQL once per 5 s. */
@Injectable()
export class ActivityLookup {
  private readonly entries = new Map<number, { record: ActivityRecord | null; until: number; pending?: Promise<ActivityRecord | null> }>();

  constructor(private readonly repository: ActivityRepository) {}

  async get(id: number): Promise<ActivityRecord | null> {
    const entry = this.entries.get(id);
    if (entry?.pending) return entry.pending;
    if (entry && entry.until > Date.now()) return entry.record;
    const pending = this.repository.findById(id);
    this.entries.set(id, { record: null, until: 0, pending });
    try {
      const record = await pending;
      this.entries.set(id, { record, until: Date.now() + TTL_MS });
      return record;
    } catch (error) {
      this.entries.delete(id);
      throw error;
    }
  }
}
