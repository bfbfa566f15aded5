import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { createPrismaClient, PrismaClient } from './prisma-factory';

/** The Prisma client of the core database (users, activities, payments). */
export const CORE_DB = Symbol('CORE_DB');
/** The Prisma clients of the order-shard databases, index = shard database number. */
export const ORDER_SHARD_DBS = Symbol('ORDER_SHARD_DBS');

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(
    @Inject(CORE_DB) private readonly core: PrismaClient,
    @Inject(ORDER_SHARD_DBS) private readonly shards: PrismaClient[],
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.core, ...this.shards].map((client) => client.$disconnect()));
  }
}

/** Prisma clients for the core database and every order shard; connections open lazily on first query. */
@Global()
@Module({
  providers: [
    {
      provide: CORE_DB,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
    },
    {
      provide: ORDER_SHARD_DBS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.ORDER_SHARD_URLS.map((url) => createPrismaClient(url, config.DATABASE_POOL_SIZE)),
    },
    DatabaseCloser,
  ],
  exports: [CORE_DB, ORDER_SHARD_DBS],
})
export class DatabaseModule {}
