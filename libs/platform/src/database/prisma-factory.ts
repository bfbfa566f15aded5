import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from '../prisma/generated/client';
import { poolConfigFromUrl } from './mysql-url';

export type { PrismaClient };

/** A Prisma client over the MariaDB driver adapter (no native query engine) for one database URL. */
export function createPrismaClient(url: string, poolSize: number): PrismaClient {
  const adapter = new PrismaMariaDb(poolConfigFromUrl(url, poolSize));
  return new PrismaClient({ adapter });
}
