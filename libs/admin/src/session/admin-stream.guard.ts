import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AccessTokenService, Principal } from '@seckill/platform';
import { adminPrincipal } from './admin-session';

/**
 * For the read-only routes a browser opens without headers (the event stream): an admin's Bearer token or session
 * cookie. State-changing routes keep JwtAuthGuard (Bearer only), so the cookie cannot be used to forge a change.
 */
@Injectable()
export class AdminStreamGuard implements CanActivate {
  constructor(private readonly tokens: AccessTokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    request.principal = adminPrincipal(request, this.tokens, request.method === 'GET' || request.method === 'HEAD');
    return true;
  }
}
