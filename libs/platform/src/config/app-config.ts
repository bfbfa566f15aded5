import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsString, IsUrl, Max, Min, MinLength, Matches, ValidateIf } from 'class-validator';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0)
    : value;

const MYSQL_URL = /^mysql:\/\/[^/]+\/[A-Za-z0-9_]+(\?.*)?$/;
const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789';

/**
 * Every configuration variable of every service, with the default that works for `npm start` on a developer
 * machine. Validated once at boot (see loadConfig); nothing else in the code base reads process.env.
 */
export class AppConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * `json`: one JSON object per line; `pretty`: one readable line per entry (pino-pretty, a development dependency);
   * `auto`: pretty when NODE_ENV is development, JSON otherwise.
   */
  @IsIn(['auto', 'pretty', 'json'])
  LOG_FORMAT: 'auto' | 'pretty' | 'json' = 'auto';

  /** One info line per request (method, route, status, time, request id, user). Turn off for the sale's peak. */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  ACCESS_LOG = true;

  /** Address the HTTP servers bind to. */
  @IsString()
  HOST = '127.0.0.1';

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  AUTH_PORT = 3001;

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  SECKILL_PORT = 3002;

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  ORDER_PORT = 3003;

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  PAYMENT_PORT = 3004;

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  ADMIN_PORT = 3005;

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  PAYSIM_PORT = 3006;

  /** The core database: users, activities, payments. */
  @Matches(MYSQL_URL, { message: 'DATABASE_URL must look like mysql://user:password@host:port/database' })
  DATABASE_URL = 'mysql://root@127.0.0.1:3306/seckill';

  /** One URL per order-shard database, comma-separated; shards may live on separate servers. */
  @Transform(csv)
  @Matches(MYSQL_URL, { each: true, message: 'ORDER_SHARD_URLS must be comma-separated mysql:// URLs' })
  ORDER_SHARD_URLS: string[] = ['mysql://root@127.0.0.1:3306/seckill_order_0', 'mysql://root@127.0.0.1:3306/seckill_order_1'];

  /** Order tables per shard database (orders_0 .. orders_{N-1}). D × T must divide 1024 (the id's shard gene). */
  @Type(() => Number) @IsIn([1, 2, 4, 8, 16, 32, 64], { message: 'ORDER_SHARD_TABLES must be a power of two from 1 to 64' })
  ORDER_SHARD_TABLES = 8;

  /** Connections per database pool, per process. */
  @Type(() => Number) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;

  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** A Redis command not answered within this long fails (503 BUSY on the request path), rather than hang. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 1000;

  /** Prefix of every Redis key and BullMQ queue of this deployment (tests use their own). */
  @Matches(/^[A-Za-z0-9:_-]{1,32}$/, { message: 'REDIS_KEY_PREFIX must be 1-32 of [A-Za-z0-9:_-]' })
  REDIS_KEY_PREFIX = 'sk:';

  @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET = DEV_JWT_SECRET;

  @Type(() => Number) @IsInt() @Min(60) @Max(7 * 24 * 3600)
  JWT_EXPIRES_IN_SECONDS = 3600;

  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, { message: 'ADMIN_USERNAME must be 3-32 of [A-Za-z0-9_.-]' })
  ADMIN_USERNAME = 'admin';

  @IsString() @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD = 'admin-password';

  @IsString() @MinLength(16, { message: 'PAYMENT_WEBHOOK_SECRET must be at least 16 characters' })
  PAYMENT_WEBHOOK_SECRET = 'dev-only-webhook-secret';

  /** Addresses or CIDRs exempt from per-IP limits (e.g. a load generator). */
  @Transform(csv) @IsString({ each: true })
  RATE_LIMIT_IP_ALLOWLIST: string[] = [];

  /** The gateway's addresses or CIDRs, whose X-Forwarded-For is believed. */
  @Transform(csv) @IsString({ each: true })
  TRUSTED_PROXIES: string[] = [];

  /** Create the demo activity at start when no activity exists (npm start sets it). */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  SEED_DEMO = false;

  /** Lifetime of a purchase token (POST /api/activities/:id/token). */
  @Type(() => Number) @IsInt() @Min(5) @Max(3600)
  PURCHASE_TOKEN_TTL_SECONDS = 60;

  /** Registrations per client address (an IPv6 client per /64) per hour, counted in Redis across instances. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_REGISTER_PER_IP_PER_HOUR = 20;

  /** Password hashes (scrypt) one auth process runs at once; past it 503 BUSY. Registrations get half. */
  @Type(() => Number) @IsInt() @Min(2) @Max(256)
  PASSWORD_HASH_MAX_CONCURRENT = 8;

  /** Purchases per second per client address (in-process, per instance; burst twice that). */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_PER_IP_PER_SECOND = 20;

  /** Purchases per second per user (in-process, per instance; burst twice that). */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_PER_USER_PER_SECOND = 5;

  /** Purchase attempts per second per activity, across all instances (counted in the reservation script). */
  @Type(() => Number) @IsInt() @Min(0)
  RATE_LIMIT_PER_ACTIVITY_PER_SECOND = 50000;

  /** Purchase attempts per second that one instance admits in all. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_GLOBAL_PER_SECOND = 100000;

  /** Shed with 503 BUSY when the event loop lags more than this. */
  @Type(() => Number) @IsInt() @Min(10)
  SHED_MAX_EVENT_LOOP_DELAY_MS = 500;

  /** Shed with 503 BUSY when more requests than this are in flight in one instance. */
  @Type(() => Number) @IsInt() @Min(1)
  SHED_MAX_IN_FLIGHT = 10000;

  /** How long an instance keeps an activity in memory before asking Redis again (jittered ±20%). */
  @Type(() => Number) @IsInt() @Min(0)
  CATALOG_LOCAL_TTL_MS = 1000;

  /** How long the shared Redis copy of an activity lives (jittered ±20%). */
  @Type(() => Number) @IsInt() @Min(1000)
  CATALOG_SHARED_TTL_MS = 60000;

  /** Activities starting within this many seconds are loaded into Redis automatically. */
  @Type(() => Number) @IsInt() @Min(10)
  PREWARM_AHEAD_SECONDS = 300;

  /** Order-create jobs (batches of up to 1,000 reservations) one order process works on at once. */
  @Type(() => Number) @IsInt() @Min(1) @Max(256)
  ORDER_WORKER_CONCURRENCY = 16;

  /**
   * Orders of one activity an unpaid-order timeout pass cancels at most (one conditional UPDATE per table and one
   * release script for them); every activity with due orders gets its share in each pass.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(5000)
  ORDER_TIMEOUT_BATCH = 1000;

  /** Orders per second one order process writes at most (the funnel's leaky bucket in front of MySQL). */
  @Type(() => Number) @IsInt() @Min(1)
  ORDER_DRAIN_RATE_PER_SECOND = 2000;

  /** How long a worker holds a job before another may take it over (a crashed worker's jobs wait this long). */
  @Type(() => Number) @IsInt() @Min(1000)
  ORDER_JOB_LOCK_MS = 30000;

  /** How often the sweeper looks for reservations that never became orders. */
  @Type(() => Number) @IsInt() @Min(100)
  ORDER_SWEEP_INTERVAL_MS = 10000;

  /** A reservation still without an order this long after it was made is handed to the queue again. */
  @Type(() => Number) @IsInt() @Min(100)
  ORDER_SWEEP_AFTER_MS = 30000;

  /**
   * Where the admin service forwards the dashboard's sign-in (POST /api/auth/login) when it is reached directly, as
   * under `npm start`; empty = the auth service on this machine (http://127.0.0.1:AUTH_PORT). Behind the gateway the
   * gateway routes /api/auth/* to the auth service itself.
   */
  @ValidateIf((config: AppConfig) => config.AUTH_URL !== '')
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true }, { message: 'AUTH_URL must be an http(s) URL' })
  AUTH_URL = '';

  /** With SEED_DEMO: the demo activity gets the front door on (waiting room, stagger, challenge) to try it from /shop/. */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  SEED_DEMO_FRONT_DOOR = false;

  /** How long a shopper the waiting room admitted has to buy before the turn passes to the next one. */
  @Type(() => Number) @IsInt() @Min(5) @Max(3600)
  WAITING_ROOM_ADMISSION_SECONDS = 120;

  /** How often the waiting room's inlet (on one leader instance) advances the serving position. */
  @Type(() => Number) @IsInt() @Min(20) @Max(5000)
  WAITING_ROOM_INLET_MS = 200;

  /** Lifetime of a proof-of-work challenge (GET /api/activities/:id/challenge); each is single-use. */
  @Type(() => Number) @IsInt() @Min(5) @Max(600)
  CHALLENGE_TTL_SECONDS = 60;

  /** Requests per second per client address to seckill's other endpoints (catalog, token, queue, result...), per instance. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_READS_PER_IP_PER_SECOND = 50;

  /** Token and challenge requests per second per user, per instance (burst twice that). */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_TOKEN_PER_USER_PER_SECOND = 2;

  /** Result and waiting-room polls per second per user, per instance (burst twice that). */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_POLL_PER_USER_PER_SECOND = 5;

  /** Base URL of the auth service as the shop page's browser reaches it (empty: the page's own origin, behind a gateway). */
  @Matches(/^(https?:\/\/[^\s/]+)?$/, { message: 'SHOP_AUTH_URL must be empty or an http(s) origin such as http://127.0.0.1:3001' })
  SHOP_AUTH_URL = '';

  /** Origins allowed to call the services from a browser (CORS), e.g. the shop page's when auth is on another port. */
  @Transform(csv) @IsString({ each: true })
  CORS_ALLOWED_ORIGINS: string[] = [];

  /** The provider stand-in's operator key: PUT /provider/faults needs it in X-Provider-Admin-Key. */
  @IsString() @MinLength(16, { message: 'PROVIDER_ADMIN_KEY must be at least 16 characters' })
  PROVIDER_ADMIN_KEY = 'dev-only-provider-admin-key';

  /** Where the payment service (and admin's reconciliation) reach the payment provider. */
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  PAYMENT_PROVIDER_URL = 'http://127.0.0.1:3006';

  /** A call to the provider that takes longer is aborted and counts as a failure. */
  @Type(() => Number) @IsInt() @Min(100) @Max(60000)
  PAYMENT_PROVIDER_TIMEOUT_MS = 2000;

  /** Calls per second one payment process makes to the provider at most (its outbound token bucket). */
  @Type(() => Number) @IsInt() @Min(1)
  PAYMENT_PROVIDER_RATE_PER_SECOND = 30;

  /** The outbound bucket's capacity: calls that may leave at once after a quiet period. */
  @Type(() => Number) @IsInt() @Min(1)
  PAYMENT_PROVIDER_BURST = 30;

  /** The payment breaker judges the calls of the last N seconds (time) or the last N calls (count). */
  @IsIn(['time', 'count'])
  PAYMENT_BREAKER_WINDOW_TYPE: 'time' | 'count' = 'time';

  @Type(() => Number) @IsInt() @Min(1) @Max(3600)
  PAYMENT_BREAKER_WINDOW_SIZE = 60;

  /** Calls the window must hold before the breaker may open. */
  @Type(() => Number) @IsInt() @Min(1)
  PAYMENT_BREAKER_MIN_CALLS = 20;

  /** Opens at this share of failed calls, in percent. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100)
  PAYMENT_BREAKER_FAILURE_RATE = 50;

  /** Opens at this share of slow calls, in percent. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100)
  PAYMENT_BREAKER_SLOW_CALL_RATE = 30;

  /** A call this long or longer is slow. */
  @Type(() => Number) @IsInt() @Min(1)
  PAYMENT_BREAKER_SLOW_CALL_MS = 1000;

  /** How long the open breaker rejects every call before it lets probes through. */
  @Type(() => Number) @IsInt() @Min(100)
  PAYMENT_BREAKER_OPEN_MS = 10000;

  /** Probe calls admitted while half open; all must succeed to close. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100)
  PAYMENT_BREAKER_HALF_OPEN_PROBES = 5;

  /** paysim: where it sends its signed notifications. */
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  PAYSIM_CALLBACK_URL = 'http://127.0.0.1:3004/api/payments/callback';

  /** paysim: charges and refunds per second it accepts before answering 429 (a bank's token bucket). */
  @Type(() => Number) @IsInt() @Min(1)
  PAYSIM_RATE_LIMIT_PER_SECOND = 30;

  /** paysim: the capacity of its inbound bucket. */
  @Type(() => Number) @IsInt() @Min(1)
  PAYSIM_RATE_LIMIT_BURST = 40;

  /** How often the admin service reconciles the running activities (and exports the mismatch count). */
  @Type(() => Number) @IsInt() @Min(1000)
  RECONCILIATION_INTERVAL_MS = 60000;

  /** How often the order service looks for activities whose hot state in Redis can be retired. */
  @Type(() => Number) @IsInt() @Min(100)
  ACTIVITY_RETIRE_INTERVAL_MS = 60_000;

  /** An activity is retired this long after its end plus its payment window at the earliest (and once every order is final). */
  @Type(() => Number) @IsInt() @Min(0)
  ACTIVITY_RETIRE_AFTER_MS = 600_000;

  static readonly DEV_JWT_SECRET = DEV_JWT_SECRET;
}
