import { Controller, Delete, Header, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SessionDto } from '../dto/admin-views.dto';
import type { FastifyReply } from 'fastify';
import { ADMIN_ERRORS, ApiErrors, AppConfig, JwtAuthGuard, Roles } from '@seckill/platform';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_COOKIE_PATH } from './admin-session';

type CookieReply = FastifyReply & {
  setCookie(name: string, value: string, options: Record<string, unknown>): FastifyReply;
  clearCookie(name: string, options: Record<string, unknown>): FastifyReply;
};

/** Turns the operator's Bearer token into the session cookie the event stream and the queue board need. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Roles('admin')
@Controller('api/admin/session')
export class SessionController {
  constructor(private readonly config: AppConfig) {}

  @Post()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "Sets the session cookie from the caller's Bearer token (for the stream and /admin/queues)" })
  @ApiOkResponse({ type: SessionDto, description: 'the cookie is set (HttpOnly, SameSite=Strict)' })
  @ApiErrors(...ADMIN_ERRORS)
  open(@Res({ passthrough: true }) reply: FastifyReply): { expiresIn: number } {
    const header = reply.request.headers.authorization ?? '';
    (reply as CookieReply).setCookie(ADMIN_SESSION_COOKIE, header.slice(7).trim(), {
      path: ADMIN_SESSION_COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      // Secure whenever the page came over HTTPS (directly or through a proxy that says so).
      secure: 'auto',
      maxAge: this.config.JWT_EXPIRES_IN_SECONDS,
    });
    return { expiresIn: this.config.JWT_EXPIRES_IN_SECONDS };
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'Clears the session cookie (sign-out)' })
  @ApiOkResponse({ schema: { type: 'object', example: {} } })
  @ApiErrors(...ADMIN_ERRORS)
  close(@Res({ passthrough: true }) reply: FastifyReply): Record<string, never> {
    (reply as CookieReply).clearCookie(ADMIN_SESSION_COOKIE, { path: ADMIN_SESSION_COOKIE_PATH });
    return {};
  }
}
