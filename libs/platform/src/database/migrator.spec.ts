import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as mariadb from 'mariadb';
import {
  defaultMigrationsDir,
  dropDatabase,
  ensureOrderShardTables,
  listMigrations,
  migrateDatabase,
} from './migrator';
import { poolConfigFromUrl } from './mysql-url';

// The same server @seckill/testing uses; imported from there, it would make platform and testing depend on each
// other.
const TEST_MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  logs: string | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

describe('migrateDatabase', () => {
  const databases: string[] = [];
  const folders: string[] = [];

  after(async () => {
    for (const url of databases) await dropDatabase(url);
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  /** A database of its own (created by the first migration run) and an empty migrations folder. */
  function scratch(): { url: string; dir: string } {
    const url = `${TEST_MYSQL}/seckill_mig_${randomBytes(4).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'seckill-migrations-'));
    databases.push(url);
    folders.push(dir);
    return { url, dir };
  }

  function writeMigration(dir: string, name: string, sql: string): void {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }

  async function query<T>(url: string, sql: string): Promise<T> {
    const { host, port, user, password, database } = poolConfigFromUrl(url, 1);
    const connection = await mariadb.createConnection({ host, port, user, password, database });
    try {
      return await connection.query<T>(sql);
    } finally {
      await connection.end();
    }
  }

  function history(url: string): Promise<MigrationRow[]> {
    return query<MigrationRow[]>(
      url,
      `SELECT migration_name, checksum, finished_at, logs, rolled_back_at, applied_steps_count
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
    );
  }

  async function tables(url: string): Promise<string[]> {
    const rows = await query<Array<{ name: string }>>(
      url,
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    );
    return rows.map((row) => row.name).sort();
  }

  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

  /** Three migrations, each of which fails unless the ones before it ran first. */
  function writeThree(dir: string): Record<string, string> {
    const sql: Record<string, string> = {
      '20260101000000_create_items': 'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);',
      '20260102000000_seed_items': "INSERT INTO items (id, name) VALUES (1, 'one');\nINSERT INTO items (id, name) VALUES (2, 'two');\n",
      '20260103000000_add_price': '-- a comment first, as Prisma writes them\nALTER TABLE items ADD COLUMN price INT NOT NULL DEFAULT 0;\nUPDATE items SET price = id * 100;\n',
    };
    // Written out of order: the runner must sort by name, not trust the directory listing.
    for (const name of Object.keys(sql).reverse()) writeMigration(dir, name, sql[name]);
    return sql;
  }

  it('applies the migrations in name order and records each one as Prisma does', async () => {
    const { url, dir } = scratch();
    const sql = writeThree(dir);
    writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');
    mkdirSync(join(dir, '20260104000000_not_yet_written'));

    const result = await migrateDatabase(url, dir);

    assert.equal(result.database, poolConfigFromUrl(url, 1).database);
    assert.deepEqual(result.applied, Object.keys(sql));
    assert.deepEqual(await query(url, 'SELECT id, name, price FROM items ORDER BY id'), [
      { id: 1, name: 'one', price: 100 },
      { id: 2, name: 'two', price: 200 },
    ]);
    const rows = await history(url);
    assert.deepEqual(
      rows.map((row) => [row.migration_name, row.checksum]),
      Object.entries(sql).map(([name, text]) => [name, sha256(text)]),
    );
    for (const row of rows) {
      assert.ok(row.finished_at instanceof Date, `${row.migration_name} has finished_at`);
      assert.equal(row.logs, null);
      assert.equal(row.rolled_back_at, null);
      assert.equal(Number(row.applied_steps_count), 1);
    }
  });

  it('applies nothing on a second run, and only the new migration once one is added', async () => {
    const { url, dir } = scratch();
    writeThree(dir);
    await migrateDatabase(url, dir);

    assert.deepEqual((await migrateDatabase(url, dir)).applied, []);
    assert.equal((await history(url)).length, 3);
    assert.deepEqual(await query(url, 'SELECT COUNT(*) AS n FROM items'), [{ n: 2n }]);

    writeMigration(dir, '20260105000000_more_items', "INSERT INTO items (id, name) VALUES (3, 'three');");
    assert.deepEqual((await migrateDatabase(url, dir)).applied, ['20260105000000_more_items']);
    assert.deepEqual((await migrateDatabase(url, dir)).applied, []);
    assert.equal((await history(url)).length, 4);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const { url, dir } = scratch();
    writeThree(dir);
    await migrateDatabase(url, dir);
    writeMigration(dir, '20260102000000_seed_items', "INSERT INTO items (id, name) VALUES (1, 'uno');\n");
    writeMigration(dir, '20260105000000_more_items', "INSERT INTO items (id, name) VALUES (3, 'three');");

    await assert.rejects(
      migrateDatabase(url, dir),
      /migration 20260102000000_seed_items was edited after it was applied; add a new one instead/,
    );
    assert.equal((await history(url)).length, 3, 'nothing after the edited migration ran');
    assert.deepEqual(await query(url, 'SELECT COUNT(*) AS n FROM items'), [{ n: 2n }]);
  });

  it('records a failing migration and refuses to go on until it is marked rolled back', async () => {
    const { url, dir } = scratch();
    writeMigration(dir, '20260101000000_create_items', 'CREATE TABLE items (id INT PRIMARY KEY);');
    writeMigration(dir, '20260102000000_broken', 'ALTER TABLE no_such_table ADD COLUMN x INT;');
    writeMigration(dir, '20260103000000_after', 'CREATE TABLE later (id INT PRIMARY KEY);');

    await assert.rejects(migrateDatabase(url, dir), (error: Error) => {
      assert.match(error.message, /migration 20260102000000_broken failed/);
      assert.match(String((error.cause as Error | undefined)?.message), /no_such_table/);
      return true;
    });
    const failed = (await history(url)).find((row) => row.migration_name === '20260102000000_broken');
    assert.ok(failed, 'the failed migration has a row');
    assert.equal(failed.finished_at, null);
    assert.match(failed.logs ?? '', /no_such_table/);
    assert.deepEqual(await tables(url), ['_prisma_migrations', 'items'], 'the migration after it did not run');

    // Fixing the file is not enough: someone has to look at the half-applied database first.
    writeMigration(dir, '20260102000000_broken', 'ALTER TABLE items ADD COLUMN x INT;');
    await assert.rejects(
      migrateDatabase(url, dir),
      /migration 20260102000000_broken failed earlier; repair the database, then mark it rolled back/,
    );
    assert.deepEqual(await tables(url), ['_prisma_migrations', 'items']);

    // What `prisma migrate resolve --rolled-back` does; the fixed migration then applies, and the rest after it.
    await query(url, "UPDATE _prisma_migrations SET rolled_back_at = NOW(3) WHERE migration_name = '20260102000000_broken'");
    assert.deepEqual((await migrateDatabase(url, dir)).applied, ['20260102000000_broken', '20260103000000_after']);
    assert.deepEqual(await tables(url), ['_prisma_migrations', 'items', 'later']);
    assert.equal((await history(url)).length, 4, 'the rolled-back attempt keeps its row');
  });

  it('applies an empty migration file as a no-op, as Prisma does', async () => {
    const { url, dir } = scratch();
    writeMigration(dir, '20260101000000_empty', '');
    writeMigration(dir, '20260102000000_blank', '\n  \n');
    writeMigration(dir, '20260103000000_create_items', 'CREATE TABLE items (id INT PRIMARY KEY);');

    assert.deepEqual((await migrateDatabase(url, dir)).applied, [
      '20260101000000_empty',
      '20260102000000_blank',
      '20260103000000_create_items',
    ]);
    assert.ok((await history(url)).every((row) => row.finished_at instanceof Date));
  });

  it('applies each migration once when two runs start together on the same database', async () => {
    const { url, dir } = scratch();
    // Neither migration can run twice: the CREATE would fail on an existing table, the INSERT on the primary key.
    writeMigration(dir, '20260101000000_create_items', 'CREATE TABLE items (id INT PRIMARY KEY);');
    writeMigration(dir, '20260102000000_slow_seed', 'DO SLEEP(0.3);\nINSERT INTO items (id) VALUES (1);');
    writeMigration(dir, '20260103000000_create_more', 'CREATE TABLE more_items (id INT PRIMARY KEY);');

    const results = await Promise.all([migrateDatabase(url, dir), migrateDatabase(url, dir)]);

    const applied = results.flatMap((result) => result.applied).sort();
    assert.deepEqual(applied, listMigrations(dir).map((migration) => migration.name));
    const rows = await history(url);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((row) => row.finished_at instanceof Date));
    assert.deepEqual(await query(url, 'SELECT COUNT(*) AS n FROM items'), [{ n: 1n }]);
  });
});

describe('ensureOrderShardTables', () => {
  const url = `${TEST_MYSQL}/seckill_mig_${randomBytes(4).toString('hex')}`;

  after(async () => {
    await dropDatabase(url);
  });

  async function query<T>(sql: string, values: unknown[] = []): Promise<T> {
    const { host, port, user, password, database } = poolConfigFromUrl(url, 1);
    const connection = await mariadb.createConnection({ host, port, user, password, database });
    try {
      return await connection.query<T>(sql, values);
    } finally {
      await connection.end();
    }
  }

  async function orderTables(): Promise<string[]> {
    const rows = await query<Array<{ name: string }>>(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'orders%' ORDER BY TABLE_NAME`,
    );
    return rows.map((row) => row.name);
  }

  /** SHOW CREATE TABLE with the table's own name taken out, so copies of one template compare equal. */
  async function definition(table: string): Promise<string> {
    const [row] = await query<Array<Record<string, string>>>(`SHOW CREATE TABLE \`${table}\``);
    return row['Create Table'].replace(`\`${table}\``, '`<table>`');
  }

  it('creates orders_0 .. orders_{n-1} like the migrated orders table, and only adds the missing ones later', async () => {
    await migrateDatabase(url, defaultMigrationsDir());

    await ensureOrderShardTables(url, 3);
    assert.deepEqual(await orderTables(), ['orders', 'orders_0', 'orders_1', 'orders_2']);
    const template = await definition('orders');
    for (const table of ['orders_0', 'orders_1', 'orders_2']) assert.equal(await definition(table), template, table);

    // A row in a shard table survives a second call: existing tables are kept, not recreated.
    await query(
      `INSERT INTO orders_1 (id, reservation_id, activity_id, user_id, price_cents, expires_at)
       VALUES (1, 'r-1', 1, 1, 100, NOW(3))`,
    );
    await ensureOrderShardTables(url, 4);
    assert.deepEqual(await orderTables(), ['orders', 'orders_0', 'orders_1', 'orders_2', 'orders_3']);
    assert.deepEqual(await query('SELECT reservation_id FROM orders_1'), [{ reservation_id: 'r-1' }]);
    assert.equal(await definition('orders_3'), template);
  });
});
