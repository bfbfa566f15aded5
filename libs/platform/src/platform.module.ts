import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { ServiceName } from '@seckill/contracts';
import { AccessTokenService } from './auth/access-token.service';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CORE_DB, DatabaseModule, ORDER_SHARD_DBS } from './database/database.module';
import type { PrismaClient } from './database/prisma-factory';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { closeRedis, REDIS, RedisModule } from './redis/redis.module';
import { LiveStats } from './stats/live-stats';

export interface PlatformOptions {
  service: ServiceName;
  /** Which dependencies this service needs; readiness fails while one is unreachable. */
  needs: { database?: boolean; redis?: boolean };
  /**
   * Dependencies the service keeps serving without (the seckill service sells from Redis through a MySQL outage):
   * their readiness checks are reported, but do not make the service unready.
   */
  servesWithout?: Array<'database'>;
  /** A configuration to use instead of process.env (tests). */
  config?: AppConfig;
}

/** The name of the running service, for logs and metrics. */
export const SERVICE_NAME = Symbol('SERVICE_NAME');
const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');

@Injectable()
class ReadinessChecks implements OnModuleInit {
  constructor(
    private readonly health: HealthService,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformOptions,
    @Optional() @Inject(REDIS) private readonly redis?: Redis,
    @Optional() @Inject(CORE_DB) private readonly core?: PrismaClient,
    @Optional() @Inject(ORDER_SHARD_DBS) private readonly shards?: PrismaClient[],
  ) {}

  onModuleInit(): void {
    const redis = this.redis;
    if (redis) this.health.register('redis', () => redis.ping());
    const critical = !(this.options.servesWithout ?? []).includes('database');
    const core = this.core;
    if (core) this.health.register('mysql', () => core.$queryRaw`SELECT 1`, { critical });
    this.shards?.forEach((shard, index) =>
      this.health.register(`mysql-order-shard-${index}`, () => shard.$queryRaw`SELECT 1`, { critical }),
    );
  }
}

/**
 * The platform's last word at shutdown. PlatformModule's hooks run after every other module's (Nest shuts global
 * modules down after the others, in the reverse order of their registration, and PlatformModule registers the rest):
 * by then the workers, relays and schedulers have stopped and made their last counts. So here, in order: the live
 * stats' final flush, then the shared Redis connection is closed. (With a closer of its own, RedisModule would close
 * the connection before this flush, and every stop lost the counts of its last second.)
 */
@Injectable()
class PlatformShutdown implements OnApplicationShutdown {
  constructor(
    private readonly stats: LiveStats,
    @Optional() @Inject(REDIS) private readonly redis?: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.stats.close();
    if (this.redis) await closeRedis(this.redis);
  }
}

/**
 * What every service needs: validated configuration, the connections it asked for, metrics, health and
 * readiness. Imported once, by the app's root module.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(options.config),
        ...(options.needs.redis ? [RedisModule] : []),
        ...(options.needs.database ? [DatabaseModule] : []),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: PLATFORM_OPTIONS, useValue: options },
        MetricsService,
        LiveStats,
        HealthService,
        ReadinessChecks,
        PlatformShutdown,
        AccessTokenService,
        JwtAuthGuard,
      ],
      exports: [SERVICE_NAME, MetricsService, LiveStats, HealthService, AccessTokenService, JwtAuthGuard],
    };
  }
}
