import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mariadb from 'mariadb';
import { poolConfigFromUrl } from './mysql-url';

/**
 * Applies the SQL migrations in prisma/migrations to a database, keeping Prisma's own `_prisma_migrations`
 * table, so `prisma migrate status/deploy` (where its native engine can run) sees the same history.
 * Hand-written because Prisma's migration engine is a native binary that cannot be installed on every machine
 * this project runs on; it is deliberately small: forward-only, one transaction-less file per migration,
 * guarded by a named lock so that replicas starting together apply each migration once.
 */

export interface MigrationResult {
  database: string;
  applied: string[];
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
  id VARCHAR(36) PRIMARY KEY NOT NULL,
  checksum VARCHAR(64) NOT NULL,
  finished_at DATETIME(3),
  migration_name VARCHAR(255) NOT NULL,
  logs TEXT,
  rolled_back_at DATETIME(3),
  started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

function connect(url: string, withDatabase: boolean): Promise<mariadb.Connection> {
  const config = poolConfigFromUrl(url, 1);
  return mariadb.createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: withDatabase ? config.database : undefined,
    multipleStatements: true,
    connectTimeout: 5000,
  });
}

/** Creates the database a URL names when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const { database } = poolConfigFromUrl(url, 1);
  const connection = await connect(url, false);
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/** Drops the database a URL names (tests only). */
export async function dropDatabase(url: string): Promise<void> {
  const { database } = poolConfigFromUrl(url, 1);
  const connection = await connect(url, false);
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await connection.end();
  }
}

/** The migration folders, in the order they apply (their names start with a timestamp). */
export function listMigrations(migrationsDir: string): Array<{ name: string; sql: string; checksum: string }> {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(migrationsDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Applies every migration not applied yet; refuses to go on past a failed or edited one. */
export async function migrateDatabase(url: string, migrationsDir: string): Promise<MigrationResult> {
  await ensureDatabase(url);
  const { database } = poolConfigFromUrl(url, 1);
  const connection = await connect(url, true);
  const applied: string[] = [];
  try {
    const [{ locked }] = await connection.query<Array<{ locked: number }>>(
      `SELECT GET_LOCK(CONCAT('seckill_migrate_', DATABASE()), 60) AS locked`,
    );
    if (Number(locked) !== 1) throw new Error(`${database}: another migration run holds the lock for over 60 s`);
    await connection.query(MIGRATIONS_TABLE);
    const rows = await connection.query<AppliedRow[]>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations',
    );
    const done = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
    for (const migration of listMigrations(migrationsDir)) {
      const row = done.get(migration.name);
      if (row?.finished_at) {
        if (row.checksum !== migration.checksum) {
          throw new Error(`${database}: migration ${migration.name} was edited after it was applied; add a new one instead`);
        }
        continue;
      }
      if (row) {
        throw new Error(`${database}: migration ${migration.name} failed earlier; repair the database, then mark it rolled back`);
      }
      const id = randomUUID();
      await connection.query(
        'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES (?, ?, ?, NOW(3))',
        [id, migration.checksum, migration.name],
      );
      try {
        // The server rejects an empty query, but an empty migration (a placeholder, or one whose SQL went into
        // another) is a valid no-op to Prisma.
        if (migration.sql.trim() !== '') await connection.query(migration.sql);
      } catch (error) {
        await connection.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [String(error), id]);
        throw new Error(`${database}: migration ${migration.name} failed`, { cause: error });
      }
      await connection.query(
        'UPDATE _prisma_migrations SET finished_at = NOW(3), applied_steps_count = 1 WHERE id = ?',
        [id],
      );
      applied.push(migration.name);
    }
    return { database, applied };
  } finally {
    await connection.query(`SELECT RELEASE_LOCK(CONCAT('seckill_migrate_', DATABASE()))`).catch(() => undefined);
    await connection.end();
  }
}

/**
 * Creates the order shard tables orders_0 .. orders_{count-1} from the migrated `orders` template. Their number is
 * configuration, so they are made here rather than in a migration; a migration that alters `orders` must alter
 * the shard tables too (they are all named orders_<n>).
 */
export async function ensureOrderShardTables(url: string, count: number): Promise<void> {
  const connection = await connect(url, true);
  try {
    for (let table = 0; table < count; table++) {
      await connection.query(`CREATE TABLE IF NOT EXISTS \`orders_${table}\` LIKE \`orders\``);
    }
  } finally {
    await connection.end();
  }
}

/** Migrates the core database and every order shard, and creates the shard tables. */
export async function migrateAll(
  options: { coreUrl: string; shardUrls: string[]; shardTables: number; migrationsDir: string },
): Promise<MigrationResult[]> {
  const results = [await migrateDatabase(options.coreUrl, options.migrationsDir)];
  for (const url of options.shardUrls) {
    results.push(await migrateDatabase(url, options.migrationsDir));
    await ensureOrderShardTables(url, options.shardTables);
  }
  return results;
}

/** prisma/migrations of this repository, found from the running file (works from src/ and from dist/). */
export function defaultMigrationsDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    const parent = join(dir, '..');
    if (parent === dir) throw new Error('prisma/migrations not found above ' + __dirname);
    dir = parent;
  }
}
