import type { FastifyRequest } from 'fastify';
import { AccessTokenService, DomainError, Principal } from '@seckill/platform';

/**
 * The cookie that carries an operator's access token for what a browser cannot add a header to: the event stream
 * (EventSource) and the queue board (page navigations). HttpOnly, SameSite=Strict, set by POST /api/admin/session.
 */
export const ADMIN_SESSION_COOKIE = 'seckill_admin';

/** Where the cookie is sent: the stream under /api/admin and the board under /admin. */
export const ADMIN_SESSION_COOKIE_PATH = '/';

/**
 * The operator behind a request: the Bearer access token, or, where `acceptCookie`, the session cookie.
 * 401 without a valid token, 403 for a token that is not an admin's.
 */
export function adminPrincipal(request: FastifyRequest, tokens: AccessTokenService, acceptCookie: boolean): Principal {
  const header = request.headers.authorization;
  let token: string | undefined;
  if (typeof header === 'string' && header.startsWith('Bearer ')) token = header.slice(7).trim();
  else if (acceptCookie) token = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[ADMIN_SESSION_COOKIE];
  if (!token) throw new DomainError('UNAUTHENTICATED', 'sign in as an operator first');
  const principal = tokens.verify(token);
  if (principal.role !== 'admin') throw new DomainError('FORBIDDEN', 'this needs the role admin');
  return principal;
}
