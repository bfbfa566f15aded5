/**
 * Whether an error means a dependency (Redis, MySQL) is unreachable or unavailable, rather than a fault of ours or
 * of the request: such errors are answered 503 BUSY with Retry-After (shared/API.md), never 500. Recognised by what
 * the clients report (the Node socket error codes, ioredis' fail-fast errors and the replies of a Redis that cannot
 * serve, the mariadb driver's connection errors as Prisma's driver adapter wraps them), anywhere in the cause chain.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (typeof current !== 'object') return false;
    if (matches(current as Record<string, unknown>)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Socket errors of a connection to a dependency. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** ioredis failing fast: no connection (offline queue off), no answer in time, retries spent. */
const REDIS_CLIENT_MESSAGES = [/^Connection is closed\.?$/, /enableOfflineQueue options is false/, /^Command timed out$/, /max retries per request/i];

/** Replies of a Redis that is up but cannot serve now (loading its data, a script running, failing over). */
const REDIS_UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;

/** Prisma's own codes for an unreachable database, a timed-out connection and an exhausted pool. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/**
 * The mariadb driver's errors of a connection that could not be had or was lost (45001 already closed, 45009 socket
 * closed, 45012 connect timeout, 45013 closed during a command, 45019 socket error, 45026 socket timeout, 45028 pool
 * timeout), and the server's own (1040 too many connections, 1053 shutting down, 2006 gone away, 2013 lost).
 */
const MYSQL_CODES = new Set([45001, 45009, 45012, 45013, 45019, 45026, 45028, 1040, 1053, 2006, 2013]);

function matches(error: Record<string, unknown>): boolean {
  const code = error.code;
  const message = typeof error.message === 'string' ? error.message : '';
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (REDIS_CLIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  if (error.name === 'ReplyError' && REDIS_UNAVAILABLE_REPLY.test(message)) return true;
  if (error.name === 'PrismaClientInitializationError') return true;
  if (typeof code === 'string' && PRISMA_CODES.has(code)) return true;
  if (typeof code === 'number' && MYSQL_CODES.has(code)) return true;
  if (typeof error.errno === 'number' && MYSQL_CODES.has(error.errno)) return true;
  // Prisma's driver adapter carries the driver's error in meta.driverAdapterError.cause.
  const adapter = (error.meta as { driverAdapterError?: { cause?: unknown } } | undefined)?.driverAdapterError;
  if (adapter && typeof adapter === 'object') {
    const cause = adapter.cause as { code?: unknown; originalCode?: unknown; cause?: unknown } | undefined;
    const driverCode = Number(cause?.code ?? cause?.originalCode);
    if (MYSQL_CODES.has(driverCode)) return true;
    if (typeof cause?.cause === 'string' && /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH)\b/.test(cause.cause)) return true;
  }
  return false;
}
