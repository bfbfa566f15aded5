/**
 * What a request could have changed, counted: the rows of every table of the core and order-shard databases and the
 * Redis keys under the test's prefix. Tests that send bad input take a count before and after and compare.
 */
import { createConnection } from 'mariadb';
import Redis from 'ioredis';
import { AppConfig, poolConfigFromUrl } from '@seckill/platform';

export interface StateCounts {
  /** `database.table` → rows (COUNT(*), exact: information_schema's table_rows is an estimate for InnoDB). */
  rows: Record<string, number>;
  /** Keys under the prefix, by their name with numbers folded to `#` (`stats:s:#`), so a difference names its kind. */
  keys: Record<string, number>;
}

/** Keys of these kinds come and go on their own and are left out of the count (say why when you pass one). */
export type KeyFilter = (key: string) => boolean;

async function countRows(url: string): Promise<Record<string, number>> {
  const options = poolConfigFromUrl(url, 1);
  const connection = await createConnection({ ...options, connectTimeout: 5000 });
  try {
    const tables = (await connection.query(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name',
      [options.database],
    )) as Array<{ name: string }>;
    if (tables.length === 0) return {};
    // One statement for every table of the database: a UNION of exact counts.
    const sql = tables.map((t) => `SELECT ? AS name, COUNT(*) AS n FROM \`${t.name.replace(/`/g, '``')}\``).join(' UNION ALL ');
    const counts = (await connection.query(sql, tables.map((t) => t.name))) as Array<{ name: string; n: bigint | number }>;
    return Object.fromEntries(counts.map((row) => [`${options.database}.${row.name}`, Number(row.n)]));
  } finally {
    await connection.end();
  }
}

async function countKeys(config: AppConfig, ignore: KeyFilter): Promise<Record<string, number>> {
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const counts: Record<string, number> = {};
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const name = key.slice(config.REDIS_KEY_PREFIX.length);
        if (ignore(name)) continue;
        const kind = name.replace(/\d+/g, '#');
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return counts;
}

/**
 * Counts the rows of every table of the configuration's core and shard databases and its Redis keys.
 * @param ignore Redis keys (without the prefix) not to count
 */
export async function countState(config: AppConfig, ignore: KeyFilter = () => false): Promise<StateCounts> {
  const rows: Record<string, number> = {};
  for (const url of [config.DATABASE_URL, ...config.ORDER_SHARD_URLS]) Object.assign(rows, await countRows(url));
  return { rows, keys: await countKeys(config, ignore) };
}

/** What differs between two counts, one line per row count or key kind; empty when nothing does. */
export function stateDifferences(before: StateCounts, after: StateCounts): string[] {
  const differences: string[] = [];
  for (const [what, a, b] of [
    ['rows', before.rows, after.rows],
    ['keys', before.keys, after.keys],
  ] as const) {
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if ((a[name] ?? 0) !== (b[name] ?? 0)) differences.push(`${what} ${name}: ${a[name] ?? 0} → ${b[name] ?? 0}`);
    }
  }
  return differences;
}
