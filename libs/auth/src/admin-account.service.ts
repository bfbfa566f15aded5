import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@seckill/platform';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';

/**
 * Rounds of look-up-then-write. Each round that does not finish lost a race to another instance that created the
 * account in between, so the next round finds it; three rounds are more than such a race can need.
 */
const ENSURE_ROUNDS = 3;

/**
 * Ensures at start the admin account named by ADMIN_USERNAME, with role admin and the password ADMIN_PASSWORD:
 * creates it if missing, promotes it and resets its password if they differ. Several auth instances starting at
 * once are safe: creation relies on the unique index, and concurrent updates write the same values.
 *
 * A failure (the database unreachable) fails the start: an auth service that cannot ensure the admin would hide a
 * broken deployment, and whatever supervises the process restarts it.
 */
@Injectable()
export class AdminAccountService implements OnApplicationBootstrap {
  private readonly logger = new Logger('admin-account');

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensure();
  }

  /** Creates or repairs the admin account (see the class). */
  async ensure(): Promise<void> {
    const username = this.config.ADMIN_USERNAME;
    const password = this.config.ADMIN_PASSWORD;
    for (let round = 0; round < ENSURE_ROUNDS; round++) {
      const existing = await this.users.findByUsername(username);
      if (existing === undefined) {
        const created = await this.users.create(username, await this.hasher.hash(password), 'admin');
        if (created !== undefined) {
          this.logger.log(`created the admin account "${username}"`);
          return;
        }
        continue;
      }
      const changes: { role?: 'admin'; passwordHash?: string } = {};
      if (existing.role !== 'admin') changes.role = 'admin';
      if (this.hasher.needsRehash(existing.passwordHash) || !(await this.hasher.verify(password, existing.passwordHash))) {
        changes.passwordHash = await this.hasher.hash(password);
      }
      if (changes.role !== undefined || changes.passwordHash !== undefined) {
        await this.users.update(existing.id, changes);
        this.logger.log(`updated the admin account "${existing.username}" (${Object.keys(changes).join(', ')})`);
      }
      return;
    }
    throw new Error(`could not ensure the admin account "${username}" after ${ENSURE_ROUNDS} attempts`);
  }
}
