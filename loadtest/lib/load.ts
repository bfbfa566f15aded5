import autocannon from 'autocannon';
import { PurchasePool } from './purchase-pool';

export interface LoadOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:4000 */
  url: string;
  path: string;
  connections: number;
  durationSeconds: number;
  /** POST requests, one pool entry per request; without a pool, every request is the same GET of `path`. */
  pool?: PurchasePool;
  /** Reuse entries from the start once the pool is used up (only where users do not matter: the bare servers). */
  cycle: boolean;
}

export interface LoadResult {
  /** autocannon's Req/Sec average (completed responses per one-second sample). */
  rps: number;
  /** Latency percentiles in ms from every response's own timing (autocannon's histogram keeps whole ms only). */
  p50: number;
  p99: number;
  responses: number;
  /** Requests written, including those still in flight when the run stopped. */
  sent: number;
  statusCounts: Record<string, number>;
  /** `code` of error bodies (non-2xx), counted. */
  errorCodes: Record<string, number>;
  /** Connection errors and timeouts as autocannon counts them. */
  errors: number;
  timeouts: number;
  durationSeconds: number;
}

const ERROR_CODE = /"code"\s*:\s*"([A-Z_]+)"/;

/** A growable array of float samples. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * One autocannon run of POST requests taken from a pre-built pool, one entry per request, shared by every
 * connection (autocannon keeps a request iterator per connection, so the shared cursor lives in setupRequest).
 * With pipelining 1 each connection has one request in flight, so the connection's context tells which entry a
 * response answers.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { pool } = options;
  const get = { method: 'GET', path: options.path, headers: {} };
  const latencies = new Samples();
  const errorCodes: Record<string, number> = {};
  // Set once autocannon has returned its instance (setupRequest already runs while it builds the connections).
  const control: { stop?: () => void } = {};
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: pool ? 'POST' : 'GET',
        path: options.path,
        setupRequest: (request, context) => {
          if (!pool) return get;
          let index = pool.cursor++;
          if (index >= pool.size) {
            if (options.cycle) {
              index %= pool.size;
            } else {
              // Never send a user twice: stop the run (the caller fails it) and resend the last entry meanwhile.
              pool.exhausted = true;
              control.stop?.();
              index = pool.size - 1;
            }
          }
          context.entry = index;
          request.headers = { 'content-type': 'application/json', authorization: pool.authorization[index] };
          request.body = pool.bodies[index];
          return request;
        },
        onResponse: (status, body, context) => {
          const index = context.entry;
          if (pool && typeof index === 'number') pool.statuses[index] = status;
          if (status >= 300) {
            const code = ERROR_CODE.exec(body)?.[1] ?? `HTTP_${status}`;
            errorCodes[code] = (errorCodes[code] ?? 0) + 1;
          }
        },
      },
    ],
  });
  control.stop = () => instance.stop();
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await instance;
  const sorted = latencies.sorted();
  const statusCounts: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCounts[code] = count;
  return {
    rps: result.requests.average,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    responses: sorted.length,
    sent: result.requests.sent,
    statusCounts,
    errorCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
  };
}
