import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Principal } from '@seckill/platform';
import { AuditRepository, AuditRow, NewAuditRow } from './audit.repository';

/** Who made a change: an operator (from their access token), or the system itself (automatic degradation). */
export type Actor = Pick<Principal, 'userId'> | 'system';

/** What was changed. */
export type AuditAction =
  | 'switch.set'
  | 'plan.apply'
  | 'plan.revert'
  | 'activity.create'
  | 'activity.update'
  | 'activity.prewarm'
  | 'job.retry'
  | 'job.discard';

/** An audit entry as GET /api/admin/audit returns it. */
export interface AuditEntryView {
  id: string;
  at: string;
  actor: string;
  actorId: string | null;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/** Entries kept in memory while MySQL refuses them; past this, the oldest are dropped (and logged). */
const PENDING_MAX = 10_000;
const RETRY_MS = 5000;

/**
 * The audit log: every change of a switch, plan, activity or failed job, with who, when, before and after, in
 * MySQL. The change itself lives elsewhere (Redis, the activities table, BullMQ), so an entry is written right after
 * it; should MySQL refuse, the entry waits in memory and is retried every few seconds rather than failing a change
 * that has already happened.
 */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private readonly names = new Map<string, string>();
  private pending: NewAuditRow[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly repository: AuditRepository) {}

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Records one change; never throws (see the class comment). */
  async record(actor: Actor, action: AuditAction, target: string, before: unknown, after: unknown): Promise<void> {
    const row: NewAuditRow = {
      at: new Date(),
      actorId: actor === 'system' ? null : BigInt(actor.userId),
      actor: actor === 'system' ? 'system' : await this.nameOf(actor.userId),
      action,
      target: target.slice(0, 128),
      before: before === undefined ? null : JSON.stringify(before),
      after: after === undefined ? null : JSON.stringify(after),
    };
    try {
      await this.repository.append(row);
    } catch (error) {
      this.logger.warn(`audit entry kept for a retry: ${(error as Error).message}`);
      this.keep(row);
    }
  }

  async list(limit: number, cursor?: string): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    const rows = await this.repository.page(limit + 1, cursor === undefined ? undefined : BigInt(cursor));
    const page = rows.slice(0, limit);
    return { items: page.map(toView), nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null };
  }

  private async nameOf(userId: string): Promise<string> {
    let name = this.names.get(userId);
    if (name === undefined) {
      name = (await this.repository.username(BigInt(userId)).catch(() => null)) ?? `user ${userId}`;
      this.names.set(userId, name);
    }
    return name;
  }

  private keep(row: NewAuditRow): void {
    this.pending.push(row);
    if (this.pending.length > PENDING_MAX) {
      const dropped = this.pending.splice(0, this.pending.length - PENDING_MAX);
      this.logger.error(`audit: dropped ${dropped.length} entries MySQL refused for too long`);
    }
    if (!this.timer) {
      this.timer = setInterval(() => void this.flush(), RETRY_MS);
      this.timer.unref();
    }
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      try {
        await this.repository.append(this.pending[0]);
        this.pending.shift();
      } catch {
        return;
      }
    }
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function toView(row: AuditRow): AuditEntryView {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    actorId: row.actorId === null ? null : String(row.actorId),
    action: row.action,
    target: row.target,
    before: row.before === null ? null : (JSON.parse(row.before) as unknown),
    after: row.after === null ? null : (JSON.parse(row.after) as unknown),
  };
}
