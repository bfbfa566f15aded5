/** A failed API call: the contract's error body, the HTTP status and the Retry-After it carried (seconds). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | undefined,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** What the server's answer says, with the headers the page uses. */
export interface ApiAnswer<T> {
  body: T;
  headers: Headers;
  /** ms between sending and receiving (for the clock's round-trip correction). */
  elapsedMs: number;
}

/** fetch() of a JSON API: throws ApiError for a status >= 400 (the error body), or a network code NETWORK. */
export async function api<T>(url: string, options: { method?: string; token?: string; body?: unknown } = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const sent = performance.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error', 2, {});
  }
  const elapsedMs = performance.now() - sent;
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  if (response.status >= 400) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      typeof body.code === 'string' ? body.code : 'INTERNAL',
      typeof body.message === 'string' ? body.message : response.statusText,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      body,
    );
  }
  return { body: body as T, headers: response.headers, elapsedMs };
}

/**
 * The server's clock as the page sees it: the offset from the browser's clock, from a response that carries the
 * server's time (corrected by half the round trip and by a cache's Age), so countdowns follow the server, not a
 * browser clock that may be minutes off.
 */
export class ServerClock {
  private offsetMs = 0;

  /** Learns the offset from an answer carrying `serverTime` (ms since epoch). */
  learn(serverTime: number, headers: Headers, elapsedMs: number): void {
    const age = Number(headers.get('age')) || 0;
    this.offsetMs = serverTime + age * 1000 + elapsedMs / 2 - Date.now();
  }

  /** The server's time now, in ms since epoch. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** For display and tests: the browser's clock error the page corrects. */
  get offset(): number {
    return this.offsetMs;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
