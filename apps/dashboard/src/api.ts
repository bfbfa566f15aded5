/** The admin API as the dashboard calls it: same origin, the operator's Bearer token from this tab's session. */

const TOKEN_KEY = 'seckill.operator';

/** An answer with status >= 400, carrying the API's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Array<{ field: string; problems: string[] }> = [],
  ) {
    super(message);
  }
}

export interface Session {
  token: string;
  username: string;
}

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(TOKEN_KEY);
  return raw ? (JSON.parse(raw) as Session) : null;
}

/** Called on any 401: the token expired or was revoked; the app goes back to the sign-in. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const session = currentSession();
  const headers: Record<string, string> = {};
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    if (response.status === 401 && session) {
      sessionStorage.removeItem(TOKEN_KEY);
      onSignedOut();
    }
    throw new ApiError(
      response.status,
      String(body.code ?? 'ERROR'),
      String(body.message ?? response.statusText),
      (body.details as ApiError['details'] | undefined) ?? [],
    );
  }
  return body as T;
}

/**
 * Signs in with the auth service's login (same origin: the gateway routes it to auth, or the admin service forwards
 * it), checks the role, and opens the cookie session the event stream and the queue board need.
 */
export async function signIn(username: string, password: string): Promise<Session> {
  const { accessToken } = await api<{ accessToken: string }>('/api/auth/login', { body: { username, password } });
  const claims = JSON.parse(atob(accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { role?: string };
  if (claims.role !== 'admin') throw new ApiError(403, 'FORBIDDEN', 'this account is not an operator');
  const session = { token: accessToken, username };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
  await api('/api/admin/session', { method: 'POST' });
  return session;
}

export async function signOut(): Promise<void> {
  await api('/api/admin/session', { method: 'DELETE' }).catch(() => undefined);
  sessionStorage.removeItem(TOKEN_KEY);
}
