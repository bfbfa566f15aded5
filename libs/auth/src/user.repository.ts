import { Inject, Injectable } from '@nestjs/common';
import { CORE_DB, Prisma, Role } from '@seckill/platform';
import type { PrismaClient } from '@seckill/platform';

/** A user account as stored. */
export interface UserRecord {
  id: bigint;
  username: string;
  passwordHash: string;
  role: Role;
}

/** Ids are BIGINT: a larger number (only from a token we did not sign with today's schema) names no row. */
const MAX_USER_ID = 2n ** 63n - 1n;

const COLUMNS = { id: true, username: true, passwordHash: true, role: true } as const;

/** MySQL's duplicate-key error as Prisma reports it. */
function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** The only code that reads or writes the users table. */
@Injectable()
export class UserRepository {
  constructor(@Inject(CORE_DB) private readonly db: PrismaClient) {}

  /**
   * Inserts a user, relying on the unique index on username rather than a prior lookup, so that two concurrent
   * registrations of one name cannot both succeed.
   * @returns the new user, or undefined when the username is taken (compared without regard to case)
   */
  async create(username: string, passwordHash: string, role: Role): Promise<UserRecord | undefined> {
    try {
      return await this.db.user.create({ data: { username, passwordHash, role }, select: COLUMNS });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  /** The user with this username, compared without regard to case (the column's collation), if any. */
  async findByUsername(username: string): Promise<UserRecord | undefined> {
    return (await this.db.user.findUnique({ where: { username }, select: COLUMNS })) ?? undefined;
  }

  async findById(id: bigint): Promise<UserRecord | undefined> {
    if (id < 1n || id > MAX_USER_ID) return undefined;
    return (await this.db.user.findUnique({ where: { id }, select: COLUMNS })) ?? undefined;
  }

  /** Changes a user's role and/or password hash. */
  async update(id: bigint, changes: { role?: Role; passwordHash?: string }): Promise<void> {
    await this.db.user.update({ where: { id }, data: changes, select: { id: true } });
  }
}
