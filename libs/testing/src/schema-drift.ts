/**
 * Schema drift check for tests: compares what prisma/schema.prisma declares with what a database migrated by the
 * SQL files in prisma/migrations really has. Prisma's own `migrate diff` needs its native schema engine, which this
 * project cannot rely on, so this reads the schema through the Wasm build of Prisma's parser and the database
 * through information_schema. It covers what the migrations are hand-written to produce: tables, columns, column
 * types, nullability and indexes. Defaults, foreign keys and index sort orders or prefix lengths are not compared.
 */
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import * as mariadb from 'mariadb';
import { poolConfigFromUrl } from '@seckill/platform';

/** Where the database to check lives: a mysql://user:password@host:port/database URL or the same as options. */
export type DriftTarget =
  | string
  | { host: string; port?: number; user?: string; password?: string; database: string };

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  nativeType?: [string, string[]] | null;
  isRequired: boolean;
  isList: boolean;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

interface DmmfEnum {
  name: string;
  values: Array<{ name: string; dbName: string | null }>;
}

interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: Array<{ name: string }>;
}

interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: DmmfEnum[]; indexes: DmmfIndex[] };
}

type IndexKind = DmmfIndex['type'];

interface ColumnShape {
  type: string;
  nullable: boolean;
}

interface IndexShape {
  kind: IndexKind;
  columns: string[];
  /** Only set on the schema side when the schema names the index (`map:`); always set on the database side. */
  name?: string;
}

interface TableShape {
  columns: Map<string, ColumnShape>;
  indexes: IndexShape[];
}

/** Tables the runner creates that the schema does not describe as models of their own. */
const MIGRATIONS_TABLE = '_prisma_migrations';
const ORDER_SHARD_TABLE = /^orders_\d+$/;
const ORDER_TEMPLATE_TABLE = 'orders';

/** Prisma's MySQL column types for scalar fields that carry no @db attribute. */
const DEFAULT_TYPES: Record<string, string> = {
  Int: 'int',
  BigInt: 'bigint',
  String: 'varchar(191)',
  Boolean: 'tinyint(1)',
  DateTime: 'datetime(3)',
  Float: 'double',
  Decimal: 'decimal(65,30)',
  Json: 'json',
  Bytes: 'longblob',
};

/** @db attributes whose SQL spelling is not simply their lower-cased name. */
const NATIVE_TYPE_NAMES: Record<string, string> = {
  UnsignedTinyInt: 'tinyint unsigned',
  UnsignedSmallInt: 'smallint unsigned',
  UnsignedMediumInt: 'mediumint unsigned',
  UnsignedInt: 'int unsigned',
  UnsignedBigInt: 'bigint unsigned',
};

/**
 * Lists, one readable line each, every difference between the tables schema.prisma declares and those the
 * database has; an empty list means the migrations produce exactly what the Prisma client expects.
 *
 * The order shard copies (`orders_<n>`) are not expected tables, since their number is configuration, but each
 * one present is held to the `orders` model, as a migration that altered only the template would leave them behind.
 */
export async function findSchemaDrift(schemaText: string, target: DriftTarget): Promise<string[]> {
  const expected = expectedTables(schemaText);
  const actual = await readTables(target);
  const drift: string[] = [];

  for (const table of [...expected.keys()].sort()) {
    if (!actual.has(table)) drift.push(`table \`${table}\` is in the schema but not in the database`);
  }
  for (const table of [...actual.keys()].sort()) {
    const template = ORDER_SHARD_TABLE.test(table) ? ORDER_TEMPLATE_TABLE : table;
    const wanted = expected.get(template);
    if (wanted) {
      drift.push(...compareTable(table, wanted, actual.get(table) as TableShape));
    } else if (template === table) {
      drift.push(`table \`${table}\` is in the database but not in the schema`);
    }
  }
  return drift;
}

/** The tables schema.prisma describes, keyed by their database name. */
function expectedTables(schemaText: string): Map<string, TableShape> {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schemaText]] }))) as Dmmf;
  const enums = new Map(dmmf.datamodel.enums.map((item) => [item.name, item]));
  const tables = new Map<string, TableShape>();

  for (const model of dmmf.datamodel.models) {
    const columnOf = new Map<string, string>();
    const columns = new Map<string, ColumnShape>();
    for (const field of model.fields) {
      if (field.kind !== 'scalar' && field.kind !== 'enum') continue;
      const column = field.dbName ?? field.name;
      columnOf.set(field.name, column);
      columns.set(column, { type: expectedType(model, field, enums), nullable: !field.isRequired });
    }
    const indexes = dmmf.datamodel.indexes
      .filter((index) => index.model === model.name)
      .map((index): IndexShape => ({
        kind: index.type,
        columns: index.fields.map((field) => columnOf.get(field.name) ?? field.name),
        // MySQL names every primary key PRIMARY, whatever the schema maps it to.
        name: index.type === 'id' ? undefined : (index.dbName ?? undefined),
      }));
    tables.set(model.dbName ?? model.name, { columns, indexes });
  }
  return tables;
}

/** The SQL column type Prisma gives a field, spelled the way {@link normalizeType} spells information_schema's. */
function expectedType(model: DmmfModel, field: DmmfField, enums: Map<string, DmmfEnum>): string {
  if (field.kind === 'enum') {
    const values = enums.get(field.type)?.values ?? [];
    return normalizeType(`enum(${values.map((value) => `'${(value.dbName ?? value.name).replace(/'/g, "''")}'`).join(',')})`);
  }
  if (field.nativeType) {
    const [name, args] = field.nativeType;
    const sqlName = NATIVE_TYPE_NAMES[name] ?? name.toLowerCase();
    return normalizeType(args.length > 0 ? `${sqlName}(${args.join(',')})` : sqlName);
  }
  const type = DEFAULT_TYPES[field.type];
  if (!type) throw new Error(`findSchemaDrift: no MySQL type known for ${model.name}.${field.name} (${field.type})`);
  return normalizeType(type);
}

/**
 * One spelling for equal types: lower case, no spaces after commas, no integer display widths (MariaDB reports
 * int(11) where MySQL 8 reports int) except tinyint(1), which both use for booleans.
 */
function normalizeType(type: string): string {
  return type
    .trim()
    .toLowerCase()
    .replace(/,\s+/g, ',')
    .replace(/\b(tinyint|smallint|mediumint|int|bigint)\((\d+)\)/g, (whole, name: string, width: string) =>
      name === 'tinyint' && width === '1' ? whole : name,
    );
}

/** The tables of the database, with their columns and indexes, from information_schema. */
async function readTables(target: DriftTarget): Promise<Map<string, TableShape>> {
  const options = typeof target === 'string' ? poolConfigFromUrl(target, 1) : target;
  const connection = await mariadb.createConnection({
    host: options.host,
    port: options.port ?? 3306,
    user: options.user ?? 'root',
    password: options.password,
    connectTimeout: 5000,
  });
  try {
    const schema = [options.database];
    const tableRows = await connection.query<Array<{ table_name: string }>>(
      `SELECT TABLE_NAME AS table_name FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'`,
      schema,
    );
    const columnRows = await connection.query<
      Array<{ table_name: string; column_name: string; column_type: string; is_nullable: string }>
    >(
      `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type,
              IS_NULLABLE AS is_nullable
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      schema,
    );
    const indexRows = await connection.query<
      Array<{ table_name: string; index_name: string; non_unique: number | bigint | string; index_type: string; column_name: string }>
    >(
      `SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, NON_UNIQUE AS non_unique,
              INDEX_TYPE AS index_type, COLUMN_NAME AS column_name
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
      schema,
    );

    const tables = new Map<string, TableShape>();
    for (const { table_name } of tableRows) {
      if (table_name !== MIGRATIONS_TABLE) tables.set(table_name, { columns: new Map(), indexes: [] });
    }
    for (const row of columnRows) {
      tables.get(row.table_name)?.columns.set(row.column_name, {
        type: normalizeType(row.column_type),
        nullable: row.is_nullable === 'YES',
      });
    }
    const indexes = new Map<string, IndexShape>();
    for (const row of indexRows) {
      const table = tables.get(row.table_name);
      if (!table) continue;
      const key = `${row.table_name}\u0000${row.index_name}`;
      let index = indexes.get(key);
      if (!index) {
        index = { kind: indexKind(row.index_name, Number(row.non_unique), row.index_type), columns: [], name: row.index_name };
        indexes.set(key, index);
        table.indexes.push(index);
      }
      index.columns.push(row.column_name);
    }
    return tables;
  } finally {
    await connection.end();
  }
}

function indexKind(name: string, nonUnique: number, type: string): IndexKind {
  if (name === 'PRIMARY') return 'id';
  if (type === 'FULLTEXT') return 'fulltext';
  return nonUnique === 0 ? 'unique' : 'normal';
}

/** The differences in one table's columns and indexes. */
function compareTable(table: string, wanted: TableShape, found: TableShape): string[] {
  const drift: string[] = [];
  for (const [column, shape] of wanted.columns) {
    const actual = found.columns.get(column);
    if (!actual) {
      drift.push(`column \`${table}\`.\`${column}\` is in the schema but not in the database`);
      continue;
    }
    if (!sameType(shape.type, actual.type)) {
      drift.push(`column \`${table}\`.\`${column}\` is ${shape.type} in the schema but ${actual.type} in the database`);
    }
    if (actual.nullable !== shape.nullable) {
      drift.push(
        `column \`${table}\`.\`${column}\` is ${nullability(shape)} in the schema but ${nullability(actual)} in the database`,
      );
    }
  }
  for (const column of found.columns.keys()) {
    if (!wanted.columns.has(column)) drift.push(`column \`${table}\`.\`${column}\` is in the database but not in the schema`);
  }
  drift.push(...compareIndexes(table, wanted.indexes, found.indexes));
  return drift;
}

/** MariaDB's JSON is an alias of LONGTEXT (with a JSON_VALID check), and information_schema says longtext. */
function sameType(schemaType: string, databaseType: string): boolean {
  return schemaType === databaseType || (schemaType === 'json' && databaseType === 'longtext');
}

function nullability(column: ColumnShape): string {
  return column.nullable ? 'NULL' : 'NOT NULL';
}

/**
 * Pairs the schema's indexes with the database's: first those the schema names, by name; then every other one by
 * kind and column list, since an unnamed index may carry whatever name Prisma's convention or the SQL gave it.
 */
function compareIndexes(table: string, wanted: IndexShape[], found: IndexShape[]): string[] {
  const drift: string[] = [];
  const unclaimed = new Set(found);
  const sameShape = (a: IndexShape, b: IndexShape): boolean => describeIndex(a) === describeIndex(b);
  const take = (match: (index: IndexShape) => boolean): IndexShape | undefined => {
    const index = [...unclaimed].find(match);
    if (index) unclaimed.delete(index);
    return index;
  };

  const unnamed: IndexShape[] = [];
  const namedButAbsent: IndexShape[] = [];
  for (const index of wanted) {
    if (index.name === undefined) {
      unnamed.push(index);
      continue;
    }
    const actual = take((candidate) => candidate.name === index.name);
    if (!actual) namedButAbsent.push(index);
    else if (!sameShape(actual, index)) {
      drift.push(
        `index \`${table}\`.\`${index.name}\` is ${describeIndex(index)} in the schema but ${describeIndex(actual)} in the database`,
      );
    }
  }
  for (const index of unnamed) {
    if (!take((candidate) => sameShape(candidate, index))) {
      drift.push(`index ${describeIndex(index)} on \`${table}\` is in the schema but not in the database`);
    }
  }
  for (const index of namedButAbsent) {
    const actual = take((candidate) => sameShape(candidate, index));
    drift.push(
      actual
        ? `index ${describeIndex(index)} on \`${table}\` is named \`${index.name}\` in the schema but \`${actual.name}\` in the database`
        : `index \`${table}\`.\`${index.name}\` ${describeIndex(index)} is in the schema but not in the database`,
    );
  }
  for (const index of unclaimed) {
    drift.push(`index \`${table}\`.\`${index.name}\` ${describeIndex(index)} is in the database but not in the schema`);
  }
  return drift;
}

function describeIndex(index: IndexShape): string {
  const kind = index.kind === 'id' ? 'primary key' : index.kind;
  return `${kind} (${index.columns.join(', ')})`;
}
