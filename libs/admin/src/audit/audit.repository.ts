import { Inject, Injectable } from '@nestjs/common';
import { CORE_DB, PrismaClient } from '@seckill/platform';

/** One audit row as stored. */
export interface AuditRow {
  id: bigint;
  at: Date;
  actorId: bigint | null;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}

export type NewAuditRow = Omit<AuditRow, 'id'>;

/** The only code that touches the audit_log table. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(CORE_DB) private readonly db: PrismaClient) {}

  async append(row: NewAuditRow): Promise<void> {
    await this.db.auditEntry.create({ data: row });
  }

  /** Newest first; `before` is the cursor (an audit id). */
  async page(limit: number, before?: bigint): Promise<AuditRow[]> {
    return this.db.auditEntry.findMany({
      where: before === undefined ? undefined : { id: { lt: before } },
      orderBy: { id: 'desc' },
      take: limit,
    });
  }

  /**
   * The username of an operator, for the log to read well on its own. A read of the users table, which the auth
   * service owns: the access token carries only the user id.
   */
  async username(userId: bigint): Promise<string | null> {
    const user = await this.db.user.findUnique({ where: { id: userId }, select: { username: true } });
    return user?.username ?? null;
  }
}
