import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as mariadb from 'mariadb';
import { defaultMigrationsDir, poolConfigFromUrl } from '@seckill/platform';
import { createTestConfig, createTestDatabases, dropTestResources } from './index';
import { findSchemaDrift } from './schema-drift';

/** prisma/schema.prisma of this repository: the migrations folder sits beside it. */
const SCHEMA_PATH = join(defaultMigrationsDir(), '..', 'schema.prisma');

/** The real schema with one edit; fails loudly if the text to replace is gone, so no case passes vacuously. */
function edited(schema: string, from: string | RegExp, to: string): string {
  const result = schema.replace(from, to);
  assert.notEqual(result, schema, `the schema no longer contains ${String(from)}`);
  return result;
}

async function execute(url: string, sql: string): Promise<void> {
  const { host, port, user, password, database } = poolConfigFromUrl(url, 1);
  const connection = await mariadb.createConnection({ host, port, user, password, database });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

describe('findSchemaDrift against the migrated databases', () => {
  const config = createTestConfig();
  const schema = readFileSync(SCHEMA_PATH, 'utf8');

  before(async () => {
    await createTestDatabases(config);
  });

  after(async () => {
    await dropTestResources(config);
  });

  it('finds none between schema.prisma and the migrated core database', async () => {
    assert.deepEqual(await findSchemaDrift(schema, config.DATABASE_URL), []);
  });

  it('finds none between schema.prisma and each migrated order shard database, shard tables included', async () => {
    assert.ok(config.ORDER_SHARD_URLS.length > 0);
    for (const url of config.ORDER_SHARD_URLS) {
      assert.deepEqual(await findSchemaDrift(schema, url), [], url);
    }
  });

  it('accepts connection options as well as a URL', async () => {
    const { host, port, user, database } = poolConfigFromUrl(config.DATABASE_URL, 1);
    assert.deepEqual(await findSchemaDrift(schema, { host: host ?? '127.0.0.1', port, user, database }), []);
  });

  it('reports a field the migrations never added', async () => {
    const changed = edited(schema, /(\n\s+stock\s+Int\n)/, '$1  soldOut Boolean @default(false) @map("sold_out")\n');
    assert.deepEqual(await findSchemaDrift(changed, config.DATABASE_URL), [
      'column `activities`.`sold_out` is in the schema but not in the database',
    ]);
  });

  it('reports a changed @db.VarChar length', async () => {
    const changed = edited(schema, 'username     String   @unique @db.VarChar(32)', 'username     String   @unique @db.VarChar(64)');
    assert.deepEqual(await findSchemaDrift(changed, config.DATABASE_URL), [
      'column `users`.`username` is varchar(64) in the schema but varchar(32) in the database',
    ]);
  });

  it('reports a changed type and a changed nullability', async () => {
    const changed = edited(
      edited(schema, /stock(\s+)Int\n/, 'stock$1BigInt\n'),
      /originalPriceCents(\s+)Int\?/,
      'originalPriceCents$1Int ',
    );
    assert.deepEqual(await findSchemaDrift(changed, config.DATABASE_URL), [
      'column `activities`.`original_price_cents` is NOT NULL in the schema but NULL in the database',
      'column `activities`.`stock` is bigint in the schema but int in the database',
    ]);
  });

  it('reports an enum value the database does not accept', async () => {
    const changed = edited(schema, /enum UserRole \{\n\s+user\n\s+admin\n/, 'enum UserRole {\n  user\n  admin\n  auditor\n');
    assert.deepEqual(await findSchemaDrift(changed, config.DATABASE_URL), [
      "column `users`.`role` is enum('user','admin','auditor') in the schema but enum('user','admin') in the database",
    ]);
  });

  it('reports an extra @@index, a renamed index and a unique index that is only a plain one', async () => {
    const withIndex = edited(schema, '  @@index([startAt])\n', '  @@index([startAt])\n  @@index([endAt, startAt])\n');
    assert.deepEqual(await findSchemaDrift(withIndex, config.DATABASE_URL), [
      'index normal (end_at, start_at) on `activities` is in the schema but not in the database',
    ]);

    const renamed = edited(schema, 'map: "ix_payments_order"', 'map: "ix_payments_order_id"');
    assert.deepEqual(await findSchemaDrift(renamed, config.DATABASE_URL), [
      'index normal (order_id) on `payments` is named `ix_payments_order_id` in the schema but `ix_payments_order` in the database',
    ]);

    const unique = edited(schema, '@@index([orderId], map: "ix_payments_order")', '@@unique([orderId], map: "ix_payments_order")');
    assert.deepEqual(await findSchemaDrift(unique, config.DATABASE_URL), [
      'index `payments`.`ix_payments_order` is unique (order_id) in the schema but normal (order_id) in the database',
    ]);
  });

  it('reports a table no model describes when a model is removed', async () => {
    const changed = edited(schema, /\nmodel Payment \{[^}]*\}\n/, '\n');
    assert.deepEqual(await findSchemaDrift(changed, config.DATABASE_URL), [
      'table `payments` is in the database but not in the schema',
    ]);
  });

  it('reports a model whose table the migrations never created', async () => {
    const changed = `${schema}\nmodel Coupon {\n  id Int @id\n\n  @@map("coupons")\n}\n`;
    assert.deepEqual(await findSchemaDrift(changed, config.DATABASE_URL), [
      'table `coupons` is in the schema but not in the database',
    ]);
  });

  it('reports an order shard table left behind by a migration that altered only the template', async () => {
    const [shardUrl] = config.ORDER_SHARD_URLS;
    await execute(shardUrl, 'ALTER TABLE `orders_3` DROP INDEX `ix_orders_activity_status`, ADD COLUMN `note` TEXT NULL');
    assert.deepEqual(await findSchemaDrift(schema, shardUrl), [
      'column `orders_3`.`note` is in the database but not in the schema',
      'index `orders_3`.`ix_orders_activity_status` normal (activity_id, status) is in the schema but not in the database',
    ]);
  });
});
