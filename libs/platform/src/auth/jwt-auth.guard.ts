import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { AccessTokenService, Principal, Role } from './access-token.service';

const ROLES = 'seckill:roles';

/** Restricts a handler or controller to these roles (403 FORBIDDEN for others). Use with JwtAuthGuard. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** Requires a valid Bearer access token (401 otherwise) and, with @Roles, one of the roles (403 otherwise). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = this.tokens.authenticate(request.headers.authorization);
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (roles && !roles.includes(principal.role)) {
      throw new DomainError('FORBIDDEN', `this needs the role ${roles.join(' or ')}`);
    }
    return true;
  }
}

/** The verified caller of a handler behind JwtAuthGuard. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'a Bearer access token is required');
  return principal;
});
