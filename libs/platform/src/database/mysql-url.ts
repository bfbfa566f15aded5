import type { PoolConfig } from 'mariadb';

/** Turns mysql://user:password@host:port/database?connectionLimit=N into the mariadb driver's pool options. */
export function poolConfigFromUrl(url: string, connectionLimit: number): PoolConfig & { database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password) || undefined,
    database,
    connectionLimit: Number(parsed.searchParams.get('connectionLimit') ?? connectionLimit),
    connectTimeout: 2000,
    acquireTimeout: 5000,
    // Ids are BIGINT: keep them exact.
    bigIntAsNumber: false,
    insertIdAsNumber: false,
  };
}

/** The name of the database a URL points at. */
export function databaseName(url: string): string {
  return poolConfigFromUrl(url, 1).database;
}
