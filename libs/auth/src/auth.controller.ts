import { Body, Controller, Get, Header, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, AUTHENTICATED_ERRORS, CurrentUser, JSON_BODY_ERRORS, JwtAuthGuard, Principal } from '@seckill/platform';
import { AuthService } from './auth.service';
import { AccessTokenDto } from './dto/access-token.dto';
import { LoginDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { RegisterDto } from './dto/register.dto';
import { RegisteredUserDto } from './dto/registered-user.dto';

/** /api/auth: accounts and access tokens. */
@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Create a shopper account (closed with 503 DEGRADED while the registration switch is off; 429 past the per-address limit; 503 BUSY while too many passwords are being hashed)',
  })
  @ApiCreatedResponse({ type: RegisteredUserDto })
  @ApiErrors(...JSON_BODY_ERRORS, 'USERNAME_TAKEN', 'RATE_LIMITED', 'DEGRADED', 'BUSY')
  register(@Body() dto: RegisterDto, @Ip() ip: string): Promise<RegisteredUserDto> {
    return this.auth.register(dto, ip);
  }

  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'An access token for the Bearer header; repeated failures per username and address, per username or per address, or too many logins per address, answer 429; too many passwords being hashed, 503 BUSY',
  })
  @ApiOkResponse({ type: AccessTokenDto })
  @ApiErrors(...JSON_BODY_ERRORS, 'UNAUTHENTICATED', 'RATE_LIMITED', 'BUSY')
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<AccessTokenDto> {
    return this.auth.login(dto, ip);
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The account of the access token' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(...AUTHENTICATED_ERRORS, 'BUSY')
  me(@CurrentUser() principal: Principal): Promise<MeDto> {
    return this.auth.me(principal);
  }
}
