import { Body, Controller, HttpCode, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig, DomainError } from '@seckill/platform';

const TIMEOUT_MS = 5000;

/**
 * The dashboard signs in with the auth service's POST /api/auth/login, same-origin. Behind the gateway that path is
 * routed to the auth service and never reaches here; when the admin service is reached on its own port (`npm
 * start`), this forwards the request to the auth service unchanged and hands its answer back. Written by hand
 * rather than with a proxy plugin: it is one route, and an auth service that is down must give the API's 503
 * BUSY error body, not a proxy's own page.
 * Left out of the OpenAPI document: the auth service documents this route, and the gateway never routes it here.
 */
@ApiExcludeController()
@Controller('api/auth/login')
export class LoginProxyController {
  private readonly logger = new Logger(LoginProxyController.name);
  private readonly target: string;

  constructor(config: AppConfig) {
    this.target = `${config.AUTH_URL || `http://127.0.0.1:${config.AUTH_PORT}`}/api/auth/login`;
  }

  @Post()
  @HttpCode(200)
  async login(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': request.ip },
        body: JSON.stringify(body ?? {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      this.logger.warn(`auth service unreachable at ${this.target}: ${(error as Error).message}`);
      throw new DomainError('BUSY', 'the sign-in service is unreachable; try again shortly', { retryAfterSeconds: 2, cause: error });
    }
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) void reply.header('retry-after', retryAfter);
    // The answer carries an access token: no cache may keep it (the auth service says so too).
    void reply.header('cache-control', 'no-store');
    void reply.status(response.status);
    return (await response.json()) as unknown;
  }
}
