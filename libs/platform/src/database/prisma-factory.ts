import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from '../prisma/generated/client';
import { poolConfigFromUrl } from './mysql-url';

export type { PrismaClient };

/**
 * A Prisma client over the MariaDB driver adapter (no native query engine) for one database URL.
 * The text protocol (client-side parameter binding, one round trip) rather than server-side prepared statements:
 * the order writer's multi-row INSERTs vary in size, and each new size would cost a PREPARE round trip and a slot
 * in the connection's statement cache.
 */
export function createPrismaClient(url: string, poolSize: number): PrismaClient {
  const adapter = new PrismaMariaDb(poolConfigFromUrl(url, poolSize), { useTextProtocol: true });
  return new PrismaClient({ adapter });
}
